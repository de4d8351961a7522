/**
 * The gateway bench's data: a whole graph (`startGraph()` on the servers backend: fresh MariaDB
 * databases, a fresh Redis prefix) with the demo seed, its events applied. Prints one
 * `BENCH {json}` line (subgraph URLs, Redis, social's and review's database URLs), then waits for
 * SIGTERM and removes everything. The bench runs its own social, review and gateways as separate
 * processes on these databases; the other subgraphs are this graph's.
 *
 *   npx tsx bench/gateway-servers.ts
 */
import { SERVICES } from '@moim/events';
import { seedDemo } from '@moim/demo';
import { createLogger } from '@moim/kit';
import type { ReviewDeps } from '@moim/review';
import type { SocialDeps } from '@moim/social';
import { announce, startServersGraph } from './processes';

const graph = await startServersGraph();

await announce(graph, async () => {
  const seeded = await seedDemo(graph.services, createLogger('bench', 'warn'));
  if (!seeded?.reviews) throw new Error('the demo seed wrote no reviews');
  await graph.settled();
  return {
    subgraphs: Object.fromEntries(SERVICES.map((s) => [s.name, graph.subgraphUrl(s.name)])),
    redisUrl: graph.backend.env.REDIS_URL,
    redisPrefix: graph.backend.env.REDIS_PREFIX,
    socialDatabaseUrl: graph.service<SocialDeps>('social').deps.config.DATABASE_URL,
    reviewDatabaseUrl: graph.service<ReviewDeps>('review').deps.config.DATABASE_URL,
    reviews: seeded.reviews,
  };
});
