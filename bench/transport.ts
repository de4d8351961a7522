/**
 * HTTP/1.1 against HTTP/2 without TLS (h2c) for the gateway's subgraph calls: the same exchange —
 * a POST of a planned query with the gateway's headers, answered by a feed page of 20 reviews — on
 * keep-alive connections of an undici `Pool` to node:http (the protocol and client the gateway's
 * transport uses) and on undici's `H2CClient` (one connection, streams multiplexed) to
 * node:http2. Both are read the way the gateway's transport reads a subgraph: `dispatch` with a
 * handler that collects the body, no `request()` stream. The server runs in a process of its own
 * (bench/transport-server.ts); CPU per request of each side from /proc, interleaved rounds.
 *
 *   npm run bench -- transport [--requests 20000] [--rounds 3] [--connections 32]
 */
import { fileURLToPath } from 'node:url';
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
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const PER_ROUND = Math.ceil(Number(values.requests) / ROUNDS);
if (!(PER_ROUND > 0) || !(ROUNDS > 0) || !(CONNECTIONS > 0))
  throw new Error('usage: npm run bench -- transport [--requests 20000] [--rounds 3] [--connections 32]');

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

/** One POST, its answer collected whole, as the gateway's transport does it. */
function post(client: Dispatcher): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const chunks: Buffer[] = [];
    client.dispatch({ path: '/graphql', method: 'POST', headers, body }, {
      onConnect() {},
      onHeaders(statusCode: number) {
        status = statusCode;
        return true;
      },
      onData(chunk: Buffer) {
        chunks.push(chunk);
        return true;
      },
      onComplete() {
        resolve({ status, text: Buffer.concat(chunks).toString('utf8') });
      },
      onError: reject,
    } as Dispatcher.DispatchHandler);
  });
}

async function round(client: Dispatcher, requests: number) {
  let sent = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (sent++ < requests) {
        const { status, text } = await post(client);
        if (status !== 200 || !text.startsWith('{"data"'))
          throw new Error(`answered ${status}: ${text.slice(0, 200)}`);
      }
    }),
  );
}

/** Waits for the server's `BENCH {…}` line; fails at once if it exits, after 30 s if it hangs. */
function portsOf(server: ReturnType<typeof startNode>) {
  return new Promise<{ h1: number; h2c: number }>((resolve, reject) => {
    const stop = (err?: Error) => {
      clearInterval(poll);
      clearTimeout(timer);
      if (err) reject(err);
    };
    const timer = setTimeout(() => stop(new Error(`the server did not start\n${server.err()}`)), 30_000);
    void server.exited.then(() => stop(new Error(`the server exited\n${server.err()}`)));
    const poll = setInterval(() => {
      const line = /BENCH (.*)/.exec(server.out());
      if (!line) return;
      stop();
      resolve(JSON.parse(line[1]!) as { h1: number; h2c: number });
    }, 50);
  });
}

const server = startNode(fileURLToPath(new URL('./transport-server.ts', import.meta.url)), {});
const transports: Array<{ name: string; client: Dispatcher }> = [];
try {
  const ports = await portsOf(server);
  transports.push(
    {
      name: 'HTTP/1.1, undici Pool → node:http',
      client: new Pool(`http://127.0.0.1:${ports.h1}`, { connections: CONNECTIONS }),
    },
    {
      name: 'h2c, undici H2CClient → node:http2',
      client: new H2CClient(`http://127.0.0.1:${ports.h2c}`, {
        pipelining: CONNECTIONS,
        maxConcurrentStreams: Math.max(CONNECTIONS, 128),
      }),
    },
  );
  const totals = transports.map(() => ({ requests: 0, ms: 0, server: 0, client: 0 }));
  for (const { client } of transports) await round(client, 2_000); // warm-up, discarded
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate who goes first, so a drift of the machine falls on both alike.
    const order = r % 2 ? [...transports.keys()].reverse() : [...transports.keys()];
    for (const i of order) {
      const [server0, client0, started] = [cpuMs(server.child.pid), process.cpuUsage(), performance.now()];
      await round(transports[i]!.client, PER_ROUND);
      const used = process.cpuUsage(client0);
      const t = totals[i]!;
      t.requests += PER_ROUND;
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
      // Under the machine's cores: the exchange waited on something other than CPU (the rate is not the cost).
      'cores busy': Number(((t.server + t.client) / t.ms).toFixed(2)),
    };
  });
  console.log(
    `node ${process.version}, ${PER_ROUND * ROUNDS} requests each in ${ROUNDS} interleaved rounds, ` +
      `${CONNECTIONS} in flight`,
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
