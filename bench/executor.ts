/**
 * The gateway's executor alone: CPU per request of Q1's plan run by Moim's executor
 * (gateway/src/executor) and by `@apollo/gateway`'s `executeQueryPlan` (what Apollo's executor
 * does per request once its plan is cached: an operation context, then the plan), in this
 * process, with subgraphs answering in-process (review's answer parsed from JSON on every call,
 * as it would arrive). No HTTP, no Apollo Server: the part of a gateway request that is the
 * executor's.
 *
 *   npm run bench -- executor [--requests 20000] [--authors 20]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildOperationContext, executeQueryPlan, type ServiceMap } from '@apollo/gateway';
import { operationFromDocument } from '@apollo/federation-internals';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { parse } from 'graphql';
import { createPlanExecutor, SupergraphVersion } from '../gateway/src/executor';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    /** Distinct authors among the page's 20 reviews (fewer: more entities share a representation). */
    authors: { type: 'string', default: '20' },
  },
});
const REQUESTS = Number(values.requests);
const AUTHORS = Number(values.authors);
if (!(REQUESTS > 0) || !(AUTHORS >= 1 && AUTHORS <= 20))
  throw new Error('usage: npm run bench -- executor [--requests 20000] [--authors 1..20]');

const version = new SupergraphVersion(
  readFileSync(new URL('../gateway/supergraph.graphql', import.meta.url), 'utf8'),
);
const feedAnswer = JSON.stringify({
  data: {
    feed: {
      edges: Array.from({ length: 20 }, (_, i) => ({
        node: {
          id: `review-${i}`,
          title: `A title of review ${i}`,
          rating: 1 + (i % 5),
          author: { __typename: 'User', id: `user-${i % AUTHORS}` },
        },
      })),
    },
  },
});
const services = {
  review: { process: async () => JSON.parse(feedAnswer) as object },
  social: {
    process: async ({
      request,
    }: {
      request: { variables?: { representations?: Array<{ id: string }> } };
    }) => ({
      data: {
        _entities: request.variables!.representations!.map((r) => ({
          __typename: 'User',
          nickname: `nick ${r.id}`,
        })),
      },
    }),
  },
} as unknown as ServiceMap;

const query = '{ feed(tab: LATEST, first: 20) { edges { node { id title rating author { nickname } } } } }';
const document = parse(query);
const requestContext = {
  request: { query },
  document,
  queryHash: 'q1',
  logger: console,
  context: {},
  metrics: {},
} as unknown as GatewayGraphQLRequestContext;

const moim = createPlanExecutor({ services, fallback: () => Promise.reject(new Error('not expected')) });
moim.use(version);
const plan = version.planner.buildQueryPlan(operationFromDocument(version.api, document));
const apollo = () =>
  executeQueryPlan(
    plan,
    services,
    requestContext,
    buildOperationContext({ schema: version.apiSchema, operationDocument: document }),
    version.supergraphSchema,
    version.api,
  );

async function measure(run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < REQUESTS / 4; i++) await run(); // warm-up
  const before = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) await run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / REQUESTS;
}

// Both give the same answer before either is timed.
const [a, b] = [await moim.execute(requestContext), await apollo()];
if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error('the executors answer differently');

const parseUs = await measure(async () => JSON.parse(feedAnswer));
const rows: Array<{ executor: string; 'µs/request': number }> = [];
for (let round = 0; round < 2; round++) {
  rows.push({
    executor: "Moim's",
    'µs/request': +(await measure(() => moim.execute(requestContext))).toFixed(1),
  });
  rows.push({ executor: "Apollo's executeQueryPlan", 'µs/request': +(await measure(apollo)).toFixed(1) });
}
console.log(
  `node ${process.version}, ${REQUESTS} requests per row, Q1's plan (20 reviews, ${AUTHORS} authors), ` +
    `subgraphs in-process; parsing review's answer alone: ${parseUs.toFixed(1)} µs`,
);
console.table(rows);
const mean = (name: string) => {
  const xs = rows.filter((r) => r.executor === name).map((r) => r['µs/request']);
  return xs.reduce((x, y) => x + y, 0) / xs.length;
};
console.log(
  `RESULT moim_us=${mean("Moim's").toFixed(1)} apollo_us=${mean("Apollo's executeQueryPlan").toFixed(1)} ` +
    `apollo_per_moim=${(mean("Apollo's executeQueryPlan") / mean("Moim's")).toFixed(2)}`,
);
