import { parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkOperation } from './limits';

function check(query: string, variables: Record<string, unknown> = {}) {
  const doc = parse(query);
  const operation = doc.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
  const fragments = Object.fromEntries(
    doc.definitions
      .filter((d) => d.kind === 'FragmentDefinition')
      .map((f) => [(f as FragmentDefinitionNode).name.value, f as FragmentDefinitionNode]),
  );
  try {
    checkOperation(operation, fragments, variables, { maxDepth: 4, maxAliases: 2 });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('query limits', () => {
  it('counts depth through fragments', () => {
    expect(check('{ a { b { c } } }')).toBeNull();
    expect(check('{ a { ...F } } fragment F on T { b { c { d { e } } } }')).toMatch(
      /5 levels deep; the limit is 4/,
    );
  });

  it('caps page sizes given inline or through variables', () => {
    expect(check('{ feed(first: 100) { x } }')).toBeNull();
    expect(check('{ feed(first: 101) { x } }')).toMatch(/first on feed must be at most 100/);
    expect(check('query Q($n: Int) { feed(first: $n) { x } }', { n: 500 })).toMatch(/at most 100/);
  });

  it('caps aliases', () => {
    expect(check('{ a: me { id } b: me { id } c: me { id } }')).toMatch(/3 aliases; the limit is 2/);
  });
});
