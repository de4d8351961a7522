import { parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkOperation, measureOperation } from './limits';

function parts(query: string) {
  const doc = parse(query);
  const operation = doc.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
  const fragments = Object.fromEntries(
    doc.definitions
      .filter((d) => d.kind === 'FragmentDefinition')
      .map((f) => [(f as FragmentDefinitionNode).name.value, f as FragmentDefinitionNode]),
  );
  return { operation, fragments };
}

function check(query: string, variables: Record<string, unknown> = {}, maxDepth = 4) {
  const { operation, fragments } = parts(query);
  try {
    checkOperation(operation, fragments, variables, { maxDepth, maxAliases: 2, maxCost: 1000 });
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

  it('caps aliases, counting those inside fragments once per spread', () => {
    expect(check('{ a: me { id } b: me { id } c: me { id } }')).toMatch(/3 aliases; the limit is 2/);
    expect(check('{ me { ...F ...F } } fragment F on U { x: id y: id }')).toMatch(/4 aliases/);
  });

  it('multiplies nested page sizes into a cost estimate', () => {
    expect(
      measureOperation(parts('{ feed(first: 10) { edges { node { id } } } }').operation, {}, {}).cost,
    ).toBe(1 + 10 * 3);
    // a connection without `first` counts its default page size (20)
    expect(
      measureOperation(parts('{ me { followers { edges { node { id } } } } }').operation, {}, {}).cost,
    ).toBe(1 + 1 + 20 * 3);
    expect(
      check(
        '{ feed(first: 100) { edges { node { author { followers(first: 100) { edges { node { id } } } } } } } }',
        {},
        20,
      ),
    ).toMatch(/could return about \d+ objects; the limit is 1000/);
  });

  it('measures fragments spread into each other without walking them again', () => {
    const levels = 40;
    const defs = Array.from(
      { length: levels },
      (_, i) => `fragment F${i} on U { ...F${i + 1} ...F${i + 1} }`,
    ).join('\n');
    const query = `{ me { ...F0 } } ${defs} fragment F${levels} on U { id }`;
    const { operation, fragments } = parts(query);
    const measure = measureOperation(operation, fragments, {});
    expect(measure.cost).toBe(1 + 2 ** levels);
    // Walking 2^40 spreads would never finish: this returns only because each fragment is measured once.
    expect(check(query)).toMatch(/could return about/);
  });
});
