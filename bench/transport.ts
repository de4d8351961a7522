/**
 * HTTP/1.1 against HTTP/2 without TLS (h2c) for the gateway's subgraph calls: the same exchange —
 * a POST of a planned query with the gateway's headers, answered by a feed page of 20 reviews — on
 * undici `Pool` to node:http (what the gateway's transport does) and on undici's `H2CClient` (one
 * connection, streams multiplexed) to node:http2. The server runs in a process of its own
 * (bench/transport-server.ts); CPU per request of each side from /proc, interleaved rounds.
 *
 *   npm run bench -- transport [--requests 20000] [--rounds 3] [--connections 32]
 */
import { parseArgs } from 'node:util';
import { H2CClient, Pool, type Dispatcher } from 'undici';
import { cpuMs, startNode, stopProcess } from './processes';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
  },
});
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
if (!(REQUESTS > 0) || !(ROUNDS > 0) || !(CONNECTIONS > 0))
  throw new Error('usage: npm run bench -- transport [--requests 20000] [--rounds 3] [--connections 32]');

const server = startNode(new URL('./transport-server.ts', import.meta.url).pathname, {});
const ports = await new Promise<{ h1: number; h2c: number }>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`the server did not start\n${server.err()}`)), 30_000);
  const poll = setInterval(() => {
    const line = /BENCH (.*)/.exec(server.out());
    if (!line) return;
    clearInterval(poll);
    clearTimeout(timer);
    resolve(JSON.parse(line[1]!) as { h1: number; h2c: number });
  }, 50);
});

// What the gateway sends review for Q1, with headers of the sizes it sends.
const body = JSON.stringify({
  query: '{feed(tab:LATEST first:20){edges{node{id title rating author{__typename id}}}}}',
  variables: {},
});
const headers = {
  'content-type': 'application/json',
  'x-moim-caller': 'c'.repeat(180),
  'x-request-id': '3f0c1a52-6a3e-4b8e-9d6c-0d2b8f1e7a41',
};

const transports: Array<{ name: string; client: Dispatcher }> = [
  {
    name: 'HTTP/1.1, undici Pool → node:http',
    client: new Pool(`http://127.0.0.1:${ports.h1}`, { connections: CONNECTIONS }),
  },
  {
    name: 'h2c, undici H2CClient → node:http2',
    client: new H2CClient(`http://127.0.0.1:${ports.h2c}`, { maxConcurrentStreams: 128 }),
  },
];
const totals = transports.map(() => ({ requests: 0, ms: 0, server: 0, client: 0 }));

async function round(client: Dispatcher, requests: number) {
  let sent = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (sent++ < requests) {
        const response = await client.request({ path: '/graphql', method: 'POST', headers, body });
        const text = await response.body.text();
        if (response.statusCode !== 200 || !text.startsWith('{"data"'))
          throw new Error(`answered ${response.statusCode}`);
      }
    }),
  );
}

try {
  for (const { client } of transports) await round(client, 2_000); // warm-up, discarded
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, { client }] of transports.entries()) {
      const perRound = Math.ceil(REQUESTS / ROUNDS);
      const [server0, client0, started] = [cpuMs(server.child.pid), process.cpuUsage(), performance.now()];
      await round(client, perRound);
      const used = process.cpuUsage(client0);
      const t = totals[i]!;
      t.requests += perRound;
      t.ms += performance.now() - started;
      t.server += cpuMs(server.child.pid) - server0;
      t.client += (used.user + used.system) / 1000;
    }
  }
  const perRequest = (ms: number, n: number) => Math.round((ms * 1000) / n);
  const rows = transports.map(({ name }, i) => {
    const t = totals[i]!;
    return {
      transport: name,
      'req/s': Math.round((t.requests / t.ms) * 1000),
      'server µs/req': perRequest(t.server, t.requests),
      'client µs/req': perRequest(t.client, t.requests),
    };
  });
  console.log(
    `node ${process.version}, ${REQUESTS} requests each in ${ROUNDS} interleaved rounds, ${CONNECTIONS} in flight`,
  );
  console.table(rows);
  const [h1, h2c] = rows;
  console.log(
    `RESULT h2c_per_h1_server_cpu=${(h2c!['server µs/req'] / h1!['server µs/req']).toFixed(2)} ` +
      `h2c_per_h1_client_cpu=${(h2c!['client µs/req'] / h1!['client µs/req']).toFixed(2)}`,
  );
} finally {
  await Promise.all(transports.map(({ client }) => client.close()));
  await stopProcess(server);
}
