/**
 * The subgraph side of the transport bench: one answer shaped like review's feed page (20
 * reviews), served over HTTP/1.1 (node:http) and over HTTP/2 without TLS (node:http2, prior
 * knowledge), each request's JSON body read and parsed first. Prints `BENCH {"h1":port,"h2c":port}`.
 *
 *   npx tsx bench/transport-server.ts
 */
import { createServer } from 'node:http';
import { createServer as createH2Server } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';

const id = (prefix: string, i: number) => `${prefix}-4c1e-b187-aa0ebc60${String(i).padStart(4, '0')}`;
const answer = JSON.stringify({
  data: {
    feed: {
      edges: Array.from({ length: 20 }, (_, i) => ({
        node: {
          id: id('f2929545-c36d', i),
          title: `A title of review ${i}`,
          rating: 1 + (i % 5),
          author: { __typename: 'User', id: id('b1384454-628c', i) },
        },
      })),
    },
  },
});

const h1 = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    res.setHeader('content-type', 'application/json');
    res.end(answer);
  });
});
h1.keepAliveTimeout = 65_000;

const h2c = createH2Server();
// node:http turns Nagle's algorithm off on its sockets; node:http2's server leaves it to us.
h2c.on('connection', (socket: Socket) => socket.setNoDelay(true));
h2c.on('stream', (stream) => {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    stream.respond({ ':status': 200, 'content-type': 'application/json' });
    stream.end(answer);
  });
});

const listen = (server: {
  listen(port: number, host: string, done: () => void): unknown;
  address(): unknown;
}) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
console.log(`BENCH ${JSON.stringify({ h1: await listen(h1), h2c: await listen(h2c) })}`);
