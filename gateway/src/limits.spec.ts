import { readFileSync } from 'node:fs';
import {
  buildASTSchema,
  buildSchema,
  getIntrospectionQuery,
  parse,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkOperation, checkSource, MAX_NESTING, measureOperation, type Limits } from './limits';
import { supergraphPath } from './subgraphs';

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

const measure = (query: string, variables: Record<string, unknown> = {}, on: GraphQLSchema = schema) => {
  const { operation, fragments } = parts(query);
  return measureOperation(on, operation, fragments, variables);
};
const cost = (query: string, variables: Record<string, unknown> = {}) => measure(query, variables).cost;

function check(
  query: string,
  variables: Record<string, unknown> = {},
  maxDepth = 4,
  more: Partial<Limits> & { on?: GraphQLSchema } = {},
) {
  const { operation, fragments } = parts(query);
  const { on = schema, ...limits } = more;
  try {
    checkOperation(on, operation, fragments, variables, {
      maxDepth,
      maxAliases: 2,
      maxCost: 1000,
      maxListBatches: 10,
      ...limits,
    });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

const refusal = (fn: () => void) => {
  try {
    fn();
    return null;
  } catch (err) {
    return { message: (err as Error).message, extensions: (err as { extensions?: unknown }).extensions };
  }
};

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

  it('bounds page sizes to 1..100 given inline, through variables, or as variable defaults', () => {
    expect(check('{ feed(first: 100) { edges { node { id } } } }')).toBeNull();
    expect(check('{ feed(first: 1) { edges { node { id } } } }')).toBeNull();
    expect(check('{ feed(first: 101) { edges { node { id } } } }')).toMatch(
      /first on feed must be between 1 and 100/,
    );
    expect(check('query Q($n: Int) { feed(first: $n) { edges { node { id } } } }', { n: 500 })).toMatch(
      /between 1 and 100/,
    );
    expect(check('query Q($n: Int = 500) { feed(first: $n) { edges { node { id } } } }')).toMatch(
      /between 1 and 100/,
    );
    // zero and negative pages are refused here too, not left to each subgraph (a 200 with errors)
    expect(check('{ feed(first: 0) { edges { node { id } } } }')).toMatch(/between 1 and 100/);
    expect(check('{ me { followers(first: -1) { edges { node { id } } } } }')).toMatch(
      /first on followers must be between 1 and 100/,
    );
    expect(check('query Q($n: Int) { feed(first: $n) { edges { node { id } } } }', { n: -1 })).toMatch(
      /between 1 and 100/,
    );
  });

  it('refuses an after cursor no page could have issued, before planning', () => {
    const id = '0190a8c2-7f3e-7c1a-9b2d-3e4f5a6b7c8d';
    const cursor = (ms: number) => Buffer.from(`${ms}:${id}`).toString('base64url');
    const page = 'query($a: String) { feed(first: 5, after: $a) { edges { node { id } } } }';
    expect(check(page, { a: cursor(Date.now() - 60_000) })).toBeNull();
    expect(check(page, { a: null })).toBeNull();
    expect(check(page, { a: '' })).toBeNull();
    expect(check(page, { a: cursor(-1) })).toMatch(/after is not a valid cursor/);
    expect(check(page, { a: cursor(8.64e15) })).toMatch(/after is not a valid cursor/);
    expect(check(`{ me { followers(after: "${cursor(0)}") { edges { node { id } } } } }`)).toMatch(
      /after is not a valid cursor/,
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
    expect(check(query)).toMatch(/nests fragments 41 deep; the limit is 16/);
  });

  it('refuses fragments spread inside fragments deeper than a client would', () => {
    const chain = (n: number) =>
      `{ ...f0 } ${Array.from({ length: n }, (_, i) => `fragment f${i} on Query { ...f${i + 1} }`).join(' ')} fragment f${n} on Query { __typename }`;
    expect(check(chain(15))).toBeNull();
    // 1,850 of them fit in a few kilobytes and took the planner half a second.
    expect(check(chain(1850))).toMatch(/nests fragments 1851 deep; the limit is 16/);
  });

  it('counts each alias and each argument set of a list field as a fetch of its own', () => {
    const feeds = (n: number, args: (i: number) => string) =>
      `{ ${Array.from({ length: n }, (_, i) => `f${i}: feed(${args(i)}) { edges { node { id } } }`).join(' ')} }`;
    const pages = (n: number) => feeds(n, (i) => `first: ${i + 1}`);
    // the finding: 30 pages of one list in one request, each a separate query in the subgraph
    expect(measure(pages(30)).batches).toBe(30);
    expect(check(pages(30), {}, 4, { maxAliases: 30 })).toMatch(
      /asks for 30 lists .*Query.feed 30 times.*the limit is 10/,
    );
    expect(check(pages(10), {}, 4, { maxAliases: 30 })).toBeNull();
    // aliases with the same arguments are fetched separately too
    expect(measure(feeds(3, () => 'first: 5')).batches).toBe(3);
    // one field asked twice the same way is merged before it is fetched
    const twice = '{ feed(first: 5) { edges { node { id } } } feed(first: 5) { edges { node { id } } } }';
    expect(measure(twice).batches).toBe(1);
    // a list under a list is one batch per argument set, whatever the number of parents
    const nested =
      '{ feed(first: 100) { edges { node { followers(first: 3) { edges { node { id } } } } } } }';
    expect(measure(nested).batches).toBe(2);
    const spread =
      '{ me { ...F ...F followers(first: 2) { edges { node { id } } } } } fragment F on User { followers(first: 3) { edges { node { id } } } }';
    expect(measure(spread).batches).toBe(2);
    // fields that are not lists are not batches, nor is a connection's edges list
    expect(measure('{ me { id name } }').batches).toBe(0);
  });

  it('measures introspection like any query, with its lists as long as the schema makes them', () => {
    const supergraph = buildASTSchema(parse(readFileSync(supergraphPath, 'utf8')), { assumeValidSDL: true });
    const defaults = { on: supergraph, maxAliases: 30, maxCost: 25_000 };
    // the explorer's query stays within the defaults (12 levels, 30 aliases, 25,000 objects, 10 lists)
    const standard = measure(getIntrospectionQuery(), {}, supergraph);
    expect(standard).toMatchObject({ depth: 1, aliases: 0, batches: 0 });
    expect(standard.cost).toBeGreaterThan(Object.keys(supergraph.getTypeMap()).length * 5);
    // all six subgraphs are in, with room to spare for their schemas to grow
    expect(standard.cost).toBeLessThan(defaults.maxCost * 0.6);
    expect(check(getIntrospectionQuery(), {}, 12, defaults)).toBeNull();
    // ...while each level of fields { type { fields … } } multiplies it, as the answer grows
    // (graphql-js refuses a third level); aliases of the explorer's own query add up
    const nested = (levels: number) =>
      `types { ${'fields { type { '.repeat(levels)}name${' } }'.repeat(levels)} }`;
    const costOf = (levels: number) => measure(`{ __schema { ${nested(levels)} } }`, {}, supergraph).cost;
    expect(costOf(2)).toBeGreaterThan(costOf(1) * 2);
    const fragments = getIntrospectionQuery().slice(getIntrospectionQuery().indexOf('fragment FullType'));
    const schemas = Array.from({ length: 10 }, (_, i) => `s${i}: __schema { types { ...FullType } }`);
    expect(check(`{ ${schemas.join(' ')} } ${fragments}`, {}, 12, defaults)).toMatch(
      /could return about \d+ objects; the limit is 25000/,
    );
    // aliases count as anywhere else
    expect(check('{ a: __schema { types { name } } b: __schema { types { name } } c: __typename }')).toMatch(
      /3 aliases/,
    );
  });

  it('refuses documents too long or too nested before they are parsed', () => {
    const limits = { maxTokens: 1000 };
    expect(refusal(() => checkSource(getIntrospectionQuery(), limits))).toBeNull();
    expect(refusal(() => checkSource(`{ ${'a '.repeat(999)}}`, limits))).toMatchObject({
      message: 'Query has more than 1000 tokens; the limit is 1000',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    // comments are not tokens, as for the parser
    expect(refusal(() => checkSource(`{ a }${'# comment\n'.repeat(5000)}`, limits))).toBeNull();
    // 300,000 duplicate fields or 30,000 fragments: one pass of the lexer up to the limit
    expect(refusal(() => checkSource(`{${' a'.repeat(300_000)} }`, limits))?.message).toMatch(/1000 tokens/);
    const fragments = Array.from({ length: 30_000 }, (_, i) => `fragment f${i} on Q{a}`).join('');
    expect(refusal(() => checkSource(`{...f0}${fragments}`, limits))?.message).toMatch(/1000 tokens/);
    // nesting that would overflow the parser's stack, in selections or in list values
    const deep = { maxTokens: 100_000 };
    expect(
      refusal(() => checkSource(`${'{a'.repeat(MAX_NESTING)}${'}'.repeat(MAX_NESTING)}`, deep)),
    ).toBeNull();
    expect(refusal(() => checkSource(`${'{a'.repeat(5000)}${'}'.repeat(5000)}`, deep))).toMatchObject({
      message: `Query nests braces or brackets more than ${MAX_NESTING} levels deep`,
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(
      refusal(() => checkSource(`{ a(x: ${'['.repeat(5000)}${']'.repeat(5000)}) }`, deep))?.message,
    ).toMatch(/nests/);
    // a syntax error is the parser's to report, with its position
    expect(refusal(() => checkSource('{ a(x: "unterminated) }', limits))).toBeNull();
  });
});
