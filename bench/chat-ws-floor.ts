/**
 * The chat bench's floor: a plain `ws` server that broadcasts a ready-made frame to the sockets
 * of a room, as the gateway's fan-out writes an event (the same readyState and bufferedAmount
 * checks, one `send` of a string per socket) — with no graphql-ws, no pub/sub, no query plan and
 * no subgraph behind it. What the chat path costs is measured against this.
 *
 *   PORT=0 npx tsx bench/chat-ws-floor.ts     (prints `FLOOR <port>`)
 *
 * Sockets connect to `/?room=<id>`. `POST /send` with `{"room": id, "json": payload}` writes
 * `{"id":"1","type":"next","payload":<payload>}` to every open socket of the room, then answers
 * 204. `GET /count` answers the number of open sockets.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const MAX_BUFFERED_BYTES = 1_048_576; // the gateway's WS_MAX_BUFFERED_BYTES default
const FRAME_HEAD = '{"id":"1","type":"next","payload":';

const rooms = new Map<string, Set<WebSocket>>();

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    let n = 0;
    for (const sockets of rooms.values()) n += sockets.size;
    res.end(String(n));
    return;
  }
  if (req.method !== 'POST' || req.url !== '/send') {
    res.statusCode = 404;
    res.end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const { room, json } = JSON.parse(Buffer.concat(chunks).toString()) as { room: string; json: string };
    for (const socket of rooms.get(room) ?? []) {
      if (socket.readyState !== socket.OPEN) continue;
      if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        socket.close(1013, 'Slow consumer');
        continue;
      }
      socket.send(`${FRAME_HEAD}${json}}`);
    }
    res.statusCode = 204;
    res.end();
  });
});

const wss = new WebSocketServer({ server });
wss.on('connection', (socket, req) => {
  const room = new URL(req.url ?? '/', 'http://floor').searchParams.get('room') ?? '';
  let sockets = rooms.get(room);
  if (!sockets) rooms.set(room, (sockets = new Set()));
  sockets.add(socket);
  socket.on('close', () => {
    sockets.delete(socket);
    if (!sockets.size) rooms.delete(room);
  });
  socket.on('error', () => socket.terminate());
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`FLOOR ${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => {
  for (const socket of wss.clients) socket.terminate();
  server.close(() => process.exit(0));
});
