import { composeServices } from '@apollo/composition';
import {
  buildSchema as buildFederationSchema,
  isValidLeafValue,
  type EnumType,
  type ScalarType,
} from '@apollo/federation-internals';
import type { GraphQLDataSource, ServiceMap } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import type { FetchNode, PlanNode } from '@apollo/query-planner';
import { buildSchema, parse, OperationTypeNode } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { createPlanExecutor, SupergraphVersion } from '.';
import { runPlan } from './run-plan';
import { leafCheck } from './shape';

const FEDERATION = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';
const supergraphSdl = (() => {
  const composed = composeServices([
    {
      name: 'posts',
      url: 'http://posts',
      typeDefs: parse(`${FEDERATION}
        type Query { posts: [Post] search: [Result!]! }
        type Mutation { publish(title: String!): Post }
        type Post @key(fields: "id") { id: ID! title: String! author: User }
        type User @key(fields: "id", resolvable: false) { id: ID! }
        union Result = Post | User`),
    },
    {
      name: 'users',
      url: 'http://users',
      typeDefs: parse(`${FEDERATION}
        type Query { userCount: Int }
        type Mutation { rename(name: String!): User }
        type User @key(fields: "id") { id: ID! name: String! age: Int }`),
    },
  ]);
  if (!composed.supergraphSdl) throw new Error(String(composed.errors));
  return composed.supergraphSdl;
})();

type Answer = { data?: Record<string, unknown> | null; errors?: Array<Record<string, unknown>> };
type Sent = { query: string; variables: Record<string, unknown> };

/** Subgraphs answering from `answer`, keeping what they were sent. */
type Answering = (sent: Sent) => Answer | Promise<Answer>;

function subgraphs(answers: Record<string, Answering>) {
  const sent: Record<string, Sent[]> = { posts: [], users: [], extra: [] };
  const services: ServiceMap = {};
  for (const [name, answer] of Object.entries(answers)) {
    const source: GraphQLDataSource = {
      process: async ({ request }) => {
        const request_ = { query: request.query!, variables: request.variables ?? {} };
        sent[name]!.push(request_);
        return (await answer(request_)) as never;
      },
    };
    services[name] = source;
  }
  return { services, sent };
}

const users: Record<string, { name: string; age: unknown }> = {
  u1: { name: 'Ada', age: 36 },
  u2: { name: 'Bo', age: 41 },
};
const entitiesOf = (sent: Sent) =>
  sent.variables.representations as Array<{ __typename: string; id: string }>;
const usersAnswer = (sent: Sent): Answer => ({
  data: { _entities: entitiesOf(sent).map((r) => ({ __typename: 'User', ...users[r.id] })) },
});
const posts = [
  { __typename: 'Post', id: 'p1', title: 'One', author: { __typename: 'User', id: 'u1' } },
  { __typename: 'Post', id: 'p2', title: 'Two', author: { __typename: 'User', id: 'u2' } },
  { __typename: 'Post', id: 'p3', title: 'Three', author: { __typename: 'User', id: 'u1' } },
];

function setUp(answers: Record<string, Answering>) {
  const version = new SupergraphVersion(supergraphSdl);
  const { services, sent } = subgraphs(answers);
  const fallback = vi.fn(async () => ({ data: { fallback: true } }));
  const executor = createPlanExecutor({ services, fallback });
  executor.use(version);
  const run = (query: string, variables?: Record<string, unknown>, operationName?: string) =>
    executor.execute({
      request: { query, variables, operationName },
      document: parse(query),
      queryHash: query,
      operationName,
      logger: console,
      context: {},
    } as unknown as GatewayGraphQLRequestContext);
  return { run, sent, fallback, version, executor };
}

describe('the gateway executor', () => {
  it('asks once per distinct entity, merges the answer into each, and answers in the query’s field order', async () => {
    const { run, sent, fallback, version } = setUp({
      posts: () => ({ data: { posts: structuredClone(posts) } }),
      users: usersAnswer,
    });
    const planning = vi.spyOn(version.planner, 'buildQueryPlan');
    const query = '{ posts { title author { name } id } }';
    const result = await run(query);
    expect(result).toEqual({
      data: {
        posts: [
          { title: 'One', author: { name: 'Ada' }, id: 'p1' },
          { title: 'Two', author: { name: 'Bo' }, id: 'p2' },
          { title: 'Three', author: { name: 'Ada' }, id: 'p3' },
        ],
      },
    });
    expect(Object.keys((result.data!.posts as object[])[0]!)).toEqual(['title', 'author', 'id']);
    expect(entitiesOf(sent.users![0]!).map((r) => r.id)).toEqual(['u1', 'u2']);
    await run(query);
    // Planned and compiled on the first request only.
    expect(planning).toHaveBeenCalledTimes(1);
    expect(fallback).not.toHaveBeenCalled();
  });

  it('puts a failed entity’s error under every entity that shared it, with the subgraph named', async () => {
    const { run } = setUp({
      posts: () => ({ data: { posts: structuredClone(posts) } }),
      users: () => ({
        data: { _entities: [null, { __typename: 'User', ...users.u2 }] },
        errors: [{ message: 'no name', path: ['_entities', 0, 'name'], extensions: { code: 'TIMEOUT' } }],
      }),
    });
    const result = await run('{ posts { id author { name } } }');
    expect(result.data).toEqual({
      posts: [
        { id: 'p1', author: null },
        { id: 'p2', author: { name: 'Bo' } },
        { id: 'p3', author: null },
      ],
    });
    expect(result.errors?.map((e) => [e.message, e.path, e.extensions])).toEqual([
      ['no name', ['posts', 0, 'author', 'name'], { code: 'TIMEOUT', serviceName: 'users' }],
      ['no name', ['posts', 2, 'author', 'name'], { code: 'TIMEOUT', serviceName: 'users' }],
    ]);
  });

  it('nulls what a subgraph answered wrongly, reporting it in extensions when nothing else failed', async () => {
    const { run } = setUp({
      posts: () => ({ data: { posts: structuredClone([posts[0], { ...posts[1], title: null }]) } }),
      users: (s) => ({
        data: { _entities: entitiesOf(s).map(() => ({ __typename: 'User', name: 'X', age: 'old' })) },
      }),
    });
    const result = await run('{ posts { title author { age } } }');
    expect(result.data).toEqual({ posts: [{ title: 'One', author: { age: null } }, null] });
    expect(result.errors).toBeUndefined();
    expect((result.extensions!.valueCompletion as Error[]).map((e) => e.message)).toEqual([
      'Invalid value found for field User.age.',
      // The second post's author is not looked at: the post is null already.
      'Cannot return null for non-nullable field Post.title.',
    ]);
  });

  it('applies fragments by the runtime type of union members, @skip/@include by variables and defaults', async () => {
    const { run } = setUp({
      posts: () => ({
        data: {
          search: [
            { __typename: 'Post', id: 'p1', title: 'One' },
            { __typename: 'User', id: 'u2' },
          ],
        },
      }),
      users: usersAnswer,
    });
    const query = `query($skip: Boolean = true, $with: Boolean!) { search {
      __typename ... on Post { title id @skip(if: $skip) } ... on User { name @include(if: $with) ...age } } }
      fragment age on User { age }`;
    expect((await run(query, { with: true })).data).toEqual({
      search: [
        { __typename: 'Post', title: 'One' },
        { __typename: 'User', name: 'Bo', age: 41 },
      ],
    });
    expect((await run(query, { with: false, skip: false })).data).toEqual({
      search: [
        { __typename: 'Post', title: 'One', id: 'p1' },
        { __typename: 'User', age: 41 },
      ],
    });
  });

  it('puts errors in entity order, under the right entity when some had no representation', async () => {
    const { run } = setUp({
      posts: () => ({ data: { posts: structuredClone([...posts, { ...posts[1], id: 'p4' }]) } }),
      // Both users fail: u1 (posts 0 and 2) and u2 (posts 1 and 3).
      users: () => ({
        data: { _entities: [null, null] },
        errors: [0, 1].map((i) => ({ message: `no user ${i}`, path: ['_entities', i, 'name'] })),
      }),
    });
    const result = await run('{ posts { author { name } } }');
    expect(result.errors?.map((e) => [e.message, e.path?.join('.')])).toEqual([
      ['no user 0', 'posts.0.author.name'],
      ['no user 1', 'posts.1.author.name'],
      ['no user 0', 'posts.2.author.name'],
      ['no user 1', 'posts.3.author.name'],
    ]);

    // Only the users of a union ask for names: the second user is the third member.
    const union = setUp({
      posts: () => ({
        data: {
          search: [
            { __typename: 'User', id: 'u1' },
            { __typename: 'Post', id: 'p1', title: 'One' },
            { __typename: 'User', id: 'u2' },
          ],
        },
      }),
      users: () => ({
        data: { _entities: [{ __typename: 'User', name: 'Ada' }, null] },
        errors: [{ message: 'gone', path: ['_entities', 1, 'name'] }],
      }),
    });
    const found = await union.run('{ search { ... on User { name } } }');
    // Apollo's executor would say search.1 (the post): it looks paths up by representation.
    expect(found.errors?.map((e) => e.path)).toEqual([['search', 2, 'name']]);
  });

  it('nulls the whole data when a null reaches a non-null root field', async () => {
    const { run } = setUp({
      posts: () => ({ data: { search: [{ __typename: 'Post', id: 'p1', title: null }] } }),
    });
    const result = await run('{ search { ... on Post { title } } }');
    expect(result.data).toBeNull();
    expect((result.extensions!.valueCompletion as Error[]).map((e) => e.message)).toEqual([
      'Cannot return null for non-nullable field Post.title.',
    ]);
  });

  it('refuses a null for the variable of @skip/@include, as Apollo’s executor does', async () => {
    const { run } = setUp({ posts: () => ({ data: { posts: structuredClone(posts) } }) });
    const result = await run('query($v: Boolean = true) { posts { id title @include(if: $v) } }', {
      v: null,
    });
    expect(result.data).toBeUndefined();
    expect(result.errors?.map((e) => e.message)).toEqual([
      'Unexpected value null for variable $v of @include(if: $v)',
    ]);
  });

  it('plans again for a new supergraph, and leaves everything to Apollo’s without one', async () => {
    const { run, executor, fallback } = setUp({ posts: () => ({ data: { posts: structuredClone(posts) } }) });
    await run('{ posts { id } }');
    const next = new SupergraphVersion(supergraphSdl);
    const planning = vi.spyOn(next.planner, 'buildQueryPlan');
    executor.use(next);
    await run('{ posts { id } }');
    expect(planning).toHaveBeenCalledTimes(1);
    executor.use(undefined);
    expect(await run('{ posts { id } }')).toEqual({ data: { fallback: true } });
    expect(fallback).toHaveBeenCalledTimes(1);
    expect(executor.executed()).toEqual({ moim: 2, apollo: 1 });
  });

  it('answers root fields of two subgraphs in the query’s order, and runs mutations one after another', async () => {
    const order: string[] = [];
    const { run } = setUp({
      posts: async (sent) => {
        // A subgraph answers under the client's alias.
        const alias = /(\w+):\s*publish/.exec(sent.query)?.[1];
        order.push(`posts ${alias ?? 'posts'}`);
        // The first is slow: had the three run in parallel, the others would start before it ends.
        if (alias === 'first') {
          await new Promise((resolve) => setTimeout(resolve, 30));
          order.push('first answered');
        }
        return alias
          ? { data: { [alias]: { __typename: 'Post', id: 'p9', title: sent.variables.t } } }
          : { data: { posts: structuredClone(posts.slice(0, 1)) } };
      },
      users: (sent) => {
        order.push(`users ${sent.query.includes('rename') ? 'rename' : 'count'}`);
        return sent.query.includes('rename')
          ? { data: { rename: { __typename: 'User', id: 'u1', name: 'New' } } }
          : { data: { userCount: 2 } };
      },
    });
    const read = await run('{ userCount posts { id } }');
    expect(read.data).toEqual({ userCount: 2, posts: [{ id: 'p1' }] });
    expect(Object.keys(read.data!)).toEqual(['userCount', 'posts']);
    order.length = 0;
    const written = await run(
      'mutation($t: String!) { first: publish(title: $t) { id } rename(name: "New") { name } second: publish(title: $t) { id title } }',
      { t: 'T' },
    );
    expect(written.data).toEqual({
      first: { id: 'p9' },
      rename: { name: 'New' },
      second: { id: 'p9', title: 'T' },
    });
    expect(order).toEqual(['posts first', 'first answered', 'users rename', 'posts second']);
  });

  it('refuses invalid variables before asking any subgraph', async () => {
    const { run, sent } = setUp({ posts: () => ({ data: { posts: structuredClone(posts) } }) });
    const result = await run('query($n: Int!) { posts { id } a: posts { id } } ', { n: 'ten' });
    expect(result.errors?.[0]?.message).toMatch(/Variable "\$n" got invalid value "ten"/);
    expect(sent.posts).toHaveLength(0);
  });

  it('leaves schema introspection, and an alias that would be a prototype, to Apollo’s executor', async () => {
    const { run, fallback, sent } = setUp({
      // Subgraphs answer with the client's aliases.
      posts: () => ({
        data: { posts: structuredClone(posts), constructor: posts.map((p) => ({ toString: p.id })) },
      }),
    });
    expect(await run('{ __schema { queryType { name } } }')).toEqual({ data: { fallback: true } });
    expect(await run('{ __proto__: posts { id } }')).toEqual({ data: { fallback: true } });
    const answer = await run('{ constructor: posts { toString: id } posts { title } }');
    expect(JSON.parse(JSON.stringify(answer))).toEqual({
      data: {
        constructor: posts.map((p) => ({ toString: p.id })),
        posts: posts.map((p) => ({ title: p.title })),
      },
    });
    expect(await run('{ __typename posts { id } }')).toEqual({
      data: { __typename: 'Query', posts: posts.map((p) => ({ id: p.id })) },
    });
    expect(fallback).toHaveBeenCalledTimes(2);
    expect(sent.posts).toHaveLength(2);
  });
});

describe('running a plan', () => {
  const fetch = (serviceName: string, requires?: FetchNode['requires']): FetchNode => ({
    kind: 'Fetch',
    serviceName,
    requires,
    operation: `query ${serviceName}`,
    operationName: undefined,
    operationKind: OperationTypeNode.QUERY,
  });
  const user = (...fields: string[]): FetchNode['requires'] => [
    {
      kind: 'InlineFragment',
      typeCondition: 'User',
      selections: ['__typename', 'id', ...fields].map((name) => ({ kind: 'Field' as const, name })),
    },
  ];

  it('gives each entity that shared a representation its own copy of the answer', async () => {
    // Two posts by one author, each with its own mood: users answers once for both, extra
    // (which requires the mood) once for each, into the profile users made.
    const services = subgraphs({
      posts: () => ({
        data: {
          posts: ['m1', 'm2'].map((mood) => ({ author: { __typename: 'User', id: 'u1', mood } })),
        },
      }),
      users: () => ({ data: { _entities: [{ profile: { a: 'A' } }] } }),
      extra: (sent) => ({
        data: {
          _entities: (sent.variables.representations as Array<{ mood: string }>).map((r) => ({
            profile: { b: `b-${r.mood}` },
          })),
        },
      }),
    }).services;
    const plan: PlanNode = {
      kind: 'Sequence',
      nodes: [
        fetch('posts'),
        { kind: 'Flatten', path: ['posts', '@', 'author'], node: fetch('users', user()) },
        { kind: 'Flatten', path: ['posts', '@', 'author'], node: fetch('extra', user('mood')) },
      ],
    };
    const data: Record<string, unknown> = {};
    const run = {
      services,
      supergraphSchema: buildSchema('type Query { a: Int } type User { id: ID }'),
      requestContext: { request: {}, context: {} } as unknown as GatewayGraphQLRequestContext,
      errors: [],
    };
    await runPlan(run, plan, data);
    expect(run.errors).toEqual([]);
    expect((data.posts as Array<{ author: { profile: unknown } }>).map((p) => p.author.profile)).toEqual([
      { a: 'A', b: 'b-m1' },
      { a: 'A', b: 'b-m2' },
    ]);
  });
});

describe('leaf values', () => {
  it('are judged as federation-internals’ isValidLeafValue judges them, type by type', () => {
    const schema = buildFederationSchema(`
      scalar Json
      enum Tab { LATEST POPULAR }
      type Query { i: Int f: Float s: String b: Boolean id: ID t: Tab j: Json }`);
    const values = [
      true,
      false,
      0,
      1,
      -7,
      1.5,
      NaN,
      Infinity,
      '1',
      '-2',
      '1.5',
      'x',
      'LATEST',
      '',
      {},
      [],
      undefined,
    ];
    const types = ['Int', 'Float', 'String', 'Boolean', 'ID', 'Tab', 'Json'].map(
      (name) => schema.type(name) as ScalarType | EnumType,
    );
    let checked = 0;
    for (const type of types) {
      const valid = leafCheck(type, schema);
      for (const value of values) {
        expect([type.name, value, valid(value)]).toEqual([
          type.name,
          value,
          isValidLeafValue(schema, value, type),
        ]);
        checked++;
      }
    }
    expect(checked).toBe(types.length * values.length);
    // The matrix holds both answers for every type.
    expect(types.every((type) => values.some((v) => leafCheck(type, schema)(v)))).toBe(true);
    expect(types.filter((type) => values.some((v) => !leafCheck(type, schema)(v)))).toHaveLength(6);
  });
});
