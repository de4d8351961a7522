import { composeServices } from '@apollo/composition';
import type { GraphQLDataSource, ServiceMap } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { parse } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { createPlanExecutor, SupergraphVersion } from '.';

const FEDERATION = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';
const supergraphSdl = (() => {
  const composed = composeServices([
    {
      name: 'posts',
      url: 'http://posts',
      typeDefs: parse(`${FEDERATION}
        type Query { posts: [Post] search: [Result!]! }
        type Post @key(fields: "id") { id: ID! title: String! author: User }
        type User @key(fields: "id", resolvable: false) { id: ID! }
        union Result = Post | User`),
    },
    {
      name: 'users',
      url: 'http://users',
      typeDefs: parse(`${FEDERATION}
        type User @key(fields: "id") { id: ID! name: String! age: Int }`),
    },
  ]);
  if (!composed.supergraphSdl) throw new Error(String(composed.errors));
  return composed.supergraphSdl;
})();

type Answer = { data?: Record<string, unknown> | null; errors?: Array<Record<string, unknown>> };
type Sent = { query: string; variables: Record<string, unknown> };

/** Subgraphs answering from `answer`, keeping what they were sent. */
function subgraphs(answers: Record<string, (sent: Sent) => Answer>) {
  const sent: Record<string, Sent[]> = { posts: [], users: [] };
  const services: ServiceMap = {};
  for (const [name, answer] of Object.entries(answers)) {
    const source: GraphQLDataSource = {
      process: async ({ request }) => {
        const request_ = { query: request.query!, variables: request.variables ?? {} };
        sent[name]!.push(request_);
        return answer(request_) as never;
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

function setUp(answers: Record<string, (sent: Sent) => Answer>) {
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
  return { run, sent, fallback, version };
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
