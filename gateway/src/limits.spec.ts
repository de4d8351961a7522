import { buildSchema, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkOperation, measureOperation } from './limits';

const schema = buildSchema(`
  type Query { me: User feed(first: Int = 20, after: String): UserConnection! }
  type User { id: ID! name: String followers(first: Int = 20, after: String): UserConnection! }
  type UserConnection { edges: [UserEdge!]! }
  type UserEdge { node: User! }
`);

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

const cost = (query: string, variables: Record<string, unknown> = {}) => {
  const { operation, fragments } = parts(query);
  return measureOperation(schema, operation, fragments, variables).cost;
};

function check(query: string, variables: Record<string, unknown> = {}, maxDepth = 4) {
  const { operation, fragments } = parts(query);
  try {
    checkOperation(schema, operation, fragments, variables, { maxDepth, maxAliases: 2, maxCost: 1000 });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('query limits', () => {
  it('counts depth through fragments', () => {
    expect(check('{ me { followers { edges { node { id } } } } }', {}, 5)).toBeNull();
    expect(
      check(
        '{ me { ...F } } fragment F on User { followers { edges { node { followers { edges { node { id } } } } } } }',
        {},
        4,
      ),
    ).toMatch(/levels deep; the limit is 4/);
  });

  it('caps page sizes given inline, through variables, or as variable defaults', () => {
    expect(check('{ feed(first: 100) { edges { node { id } } } }')).toBeNull();
    expect(check('{ feed(first: 101) { edges { node { id } } } }')).toMatch(
      /first on feed must be at most 100/,
    );
    expect(check('query Q($n: Int) { feed(first: $n) { edges { node { id } } } }', { n: 500 })).toMatch(
      /at most 100/,
    );
    expect(check('query Q($n: Int = 500) { feed(first: $n) { edges { node { id } } } }')).toMatch(
      /at most 100/,
    );
  });

  it('caps aliases, counting those inside fragments once per spread', () => {
    expect(check('{ a: me { id } b: me { id } c: me { id } }')).toMatch(/3 aliases; the limit is 2/);
    expect(check('{ me { ...F ...F } } fragment F on User { x: id y: id }')).toMatch(/4 aliases/);
  });

  it('multiplies page sizes, taken from the schema, into a cost estimate', () => {
    expect(cost('{ feed(first: 10) { edges { node { id } } } }')).toBe(1 + 10 * 3);
    // no `first` given: the argument's default (20) counts
    expect(cost('{ me { followers { edges { node { id } } } } }')).toBe(1 + 1 + 20 * 3);
    // however the list is written: through a fragment, or with the page size as a variable default
    expect(cost('{ me { followers { ...E } } } fragment E on UserConnection { edges { node { id } } }')).toBe(
      1 + 1 + 20 * 3,
    );
    // null, or a variable declared and not sent, is the default page the subgraph will serve
    expect(cost('{ feed(first: null) { edges { node { id } } } }')).toBe(1 + 20 * 3);
    expect(cost('query($n: Int) { feed(first: $n) { edges { node { id } } } }')).toBe(1 + 20 * 3);
    expect(
      check(
        '{ feed(first: 100) { edges { node { followers(first: 100) { edges { node { id } } } } } } }',
        {},
        20,
      ),
    ).toMatch(/could return about \d+ objects; the limit is 1000/);
  });

  it('counts variable defaults, which only coercion supplies', () => {
    const nested = (n: string) =>
      `query($n: Int = ${n}) { feed(first: $n) { edges { node { followers(first: 10) { edges { node { id } } } } } } }`;
    expect(check(nested('2'), {}, 20)).toBeNull();
    expect(check(nested('100'), {}, 20)).toMatch(/could return about \d+ objects/);
    expect(check(nested('100'), { n: 2 }, 20)).toBeNull();
  });

  it('measures fragments spread into each other without walking them again', () => {
    const levels = 40;
    const defs = Array.from(
      { length: levels },
      (_, i) => `fragment F${i} on User { ...F${i + 1} ...F${i + 1} }`,
    ).join('\n');
    const query = `{ me { ...F0 } } ${defs} fragment F${levels} on User { id }`;
    expect(cost(query)).toBe(1 + 2 ** levels);
    // Walking 2^40 spreads would never finish: this returns only because each fragment is measured once.
    expect(check(query)).toMatch(/could return about/);
  });
});
