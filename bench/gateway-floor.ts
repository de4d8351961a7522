/**
 * The floor of a Node gateway for the gateway bench's queries: the same HTTP exchanges as Moim's
 * gateway makes for Q1 and Q2 (the client's, then review's feed fetch, then social's `_entities`
 * fetch, both signed per call as the gateway signs), through the gateway's own subgraph transport,
 * with JSON parsed and written — and no GraphQL at all: no Apollo Server, no parsing, validation,
 * planning or shaping. The subgraph operations are the ones Apollo's planner makes for Q1 and Q2;
 * answers are merged by hand. What this process spends per request is what Node's http server and
 * this transport cost for these exchanges; the gap to Moim's gateway is what GraphQL costs there.
 *
 *   PORT=… INTERNAL_SECRET=… SUBGRAPHS='{"review":"http://…/graphql","social":"…"}' \
 *     npx tsx bench/gateway-floor.ts
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { CALLER_HEADER, callerClaims, createLogger, REQUEST_ID_HEADER } from '@moim/kit';
import { createSubgraphTransport, type SubgraphSend } from '../gateway/src/transport';

const port = Number(process.env.PORT ?? 0);
const subgraphs = JSON.parse(process.env.SUBGRAPHS ?? '{}') as Record<string, string>;
const transport = createSubgraphTransport({
  secret: process.env.INTERNAL_SECRET ?? '',
  timeouts: { connectMs: 2_000, headersMs: 10_000, bodyMs: 10_000 },
  logger: createLogger('gateway-floor', 'warn'),
});
const send = {
  review: transport.fetcher(subgraphs.review!) as unknown as SubgraphSend,
  social: transport.fetcher(subgraphs.social!) as unknown as SubgraphSend,
};

// What Apollo's query planner sends for Q1 and Q2 (bench/gateway.ts).
const FEED_Q1 = '{feed(tab:LATEST first:20){edges{node{id title rating author{__typename id}}}}}';
const FEED_Q2 =
  '{feed(tab:LATEST first:20){edges{node{id title rating author{__typename id reviews(first:3){edges{node{id title}}}}}}}}';
const USERS_Q1 =
  'query($representations:[_Any!]!){_entities(representations:$representations){...on User{nickname}}}';
const USERS_Q2 =
  'query($representations:[_Any!]!){_entities(representations:$representations){...on User{nickname followerCount}}}';

interface Author {
  __typename?: string;
  id?: string;
  [field: string]: unknown;
}
type Feed = { feed: { edges: Array<{ node: { author: Author } }> } };

async function call<T>(subgraph: 'review' | 'social', query: string, variables: object, requestId: string) {
  const caller = { userId: null, role: null, ip: '127.0.0.1', requestId };
  const headers = {
    'content-type': 'application/json',
    [CALLER_HEADER]: callerClaims(caller, subgraph),
    [REQUEST_ID_HEADER]: requestId,
  };
  const body = JSON.stringify({ query, variables });
  const response = await send[subgraph](subgraphs[subgraph]!, { method: 'POST', headers, body });
  const result = (await response.json()) as { data?: T; errors?: unknown[] };
  if (!response.ok || result.errors || !result.data) throw new Error(`${subgraph}: ${JSON.stringify(result)}`);
  return result.data;
}

async function answer(query: string): Promise<object> {
  const requestId = randomUUID();
  const deep = query.includes('followerCount');
  const page = await call<Feed>('review', deep ? FEED_Q2 : FEED_Q1, {}, requestId);
  const authors = page.feed.edges.map((e) => e.node.author);
  const ids = [...new Set(authors.map((a) => a.id!))];
  const { _entities: users } = await call<{ _entities: Author[] }>(
    'social',
    deep ? USERS_Q2 : USERS_Q1,
    { representations: ids.map((id) => ({ __typename: 'User', id })) },
    requestId,
  );
  const byId = new Map(ids.map((id, i) => [id, users[i]!]));
  for (const edge of page.feed.edges) {
    const { __typename: _, id, ...own } = edge.node.author;
    edge.node.author = { ...byId.get(id!), ...own };
  }
  return { data: page };
}

const server = createServer((req, res) => {
  if (req.url === '/health/live') return void res.end('ok');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const { query } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string };
    answer(query).then(
      (result) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      },
      (err: Error) => {
        res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [err.message] }));
      },
    );
  });
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  void transport.close().finally(() => process.exit(0));
});
