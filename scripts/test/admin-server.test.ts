import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_CONSOLE_CSP } from '../../gateway/src/admin-console';
import { ADMIN, ROOT } from './manifests';

// The admin console's nginx configuration (deploy/admin/) served by a real nginx: Debian's
// (`apt-get install nginx-light`; the image runs nginx 1.28 on Alpine, and the configuration uses
// nothing newer than bookworm's 1.22). The image's entrypoint renders the server template with
// envsubst into /tmp; here the same substitution (MOIM_* variables only) writes it into a
// temporary folder, and the places the image fixes — /tmp, /usr/share/nginx/html, port 8080 — are
// pointed at that folder, a stand-in build of the console and a free port. A local HTTP server
// stands in for the gateway.

const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'].find(existsSync);
const MAIN = readFileSync(join(ROOT, ADMIN.nginxConf), 'utf8');
const TEMPLATE = readFileSync(join(ROOT, ADMIN.serverTemplate), 'utf8');

/** `text` with `from` replaced, which must be there: a moved path fails here, not silently. */
function swap(text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, () => to);
  if (out === text) throw new Error(`${String(from)} is not in the configuration`);
  return out;
}

/** What the image's entrypoint does: envsubst of the defined variables matching NGINX_ENVSUBST_FILTER. */
function envsubst(text: string, env: Record<string, string>): string {
  const filter = new RegExp(ADMIN.imageEnv.NGINX_ENVSUBST_FILTER!);
  return Object.entries(env)
    .filter(([name]) => filter.test(name))
    .reduce(
      (out, [name, value]) => out.replace(new RegExp(`\\$(\\{${name}\\}|${name}\\b)`, 'g'), () => value),
      text,
    );
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createNetServer()
      .once('error', reject)
      .listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
  });

interface Seen {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The gateway's stand-in: records each request; a WebSocket upgrade is accepted and echoed back. */
function startGateway(): Promise<{ server: Server; seen: Seen[]; upgraded: Socket[]; port: number }> {
  const seen: Seen[] = [];
  const upgraded: Socket[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'private, no-store' });
      res.end(JSON.stringify({ data: { echo: body } }));
    });
  });
  server.on('upgrade', (req, socket: Socket) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers, body: '' });
    upgraded.push(socket);
    const accept = createHash('sha1')
      .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${req.headers['sec-websocket-protocol']}\r\n\r\n`,
    );
    socket.on('data', (data: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), data])));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, seen, upgraded, port: (server.address() as AddressInfo).port }),
    ),
  );
}

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let base = '';
function get(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<Response>((resolve, reject) => {
    const req = request(`${base}${path}`, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const INDEX =
  '<!doctype html><title>Moim admin</title><script type="module" src="/admin/assets/index-a1b2c3.js"></script>';
// Over gzip_min_length, as the real bundles are.
const SCRIPT = `console.log(${JSON.stringify('moim '.repeat(400))});\n`;

let dir: string;
let nginx: ChildProcess | undefined;
let nginxLog = '';
let gateway: Awaited<ReturnType<typeof startGateway>>;

beforeAll(async () => {
  if (!NGINX) throw new Error('nginx is needed (apt-get install nginx-light)');
  dir = mkdtempSync(join(tmpdir(), 'moim-admin-nginx-'));
  // The stand-in build, readable by nginx's workers (nobody, when the tests run as root).
  mkdirSync(join(dir, 'html/admin/assets'), { recursive: true });
  writeFileSync(join(dir, 'html/admin/index.html'), INDEX);
  writeFileSync(join(dir, 'html/admin/assets/index-a1b2c3.js'), SCRIPT);
  for (const path of ['', 'html', 'html/admin', 'html/admin/assets']) chmodSync(join(dir, path), 0o755);

  gateway = await startGateway();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = { ...ADMIN.imageEnv, [ADMIN.gatewayVariable]: `http://127.0.0.1:${gateway.port}` };
  const server = swap(
    swap(envsubst(TEMPLATE, env), 'root /usr/share/nginx/html;', `root ${join(dir, 'html')};`),
    `listen ${ADMIN.port};`,
    `listen 127.0.0.1:${port};`,
  );
  writeFileSync(join(dir, 'moim-admin.conf'), server);
  // Every /tmp/ of the main configuration (pid, temp files, the rendered server) in this folder.
  const main = MAIN.replaceAll('/tmp/', `${dir}/`);
  expect(main).toContain(`include ${dir}/moim-admin.conf;`);
  writeFileSync(join(dir, 'nginx.conf'), main);

  // nginx opens /dev/stdout for its access log: a file or a pipe (a container's), not the socket
  // Node would give it, so stdout goes to /dev/null.
  const check = spawnSync(NGINX, ['-t', '-q', '-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf')], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (check.status !== 0)
    throw new Error(`nginx -t refused the configuration (${check.status}):\n${check.stderr}`);

  nginx = spawn(NGINX, ['-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  nginx.stderr!.on('data', (d: Buffer) => (nginxLog += d.toString()));
  for (let i = 0; ; i++) {
    const up = await get(ADMIN.health).then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) break;
    if (i > 50 || nginx.exitCode !== null) throw new Error(`nginx did not start:\n${nginxLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((r) => nginx!.once('exit', r));
    nginx.kill('SIGTERM');
    await exited;
  }
  // Upgraded sockets are no longer the HTTP server's to close.
  for (const socket of gateway?.upgraded ?? []) socket.destroy();
  gateway?.server.closeAllConnections();
  await new Promise((r) => gateway?.server.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the admin console's nginx", () => {
  it('renders only MOIM_* variables, all of which the image defines, and leaves nginx variables alone', () => {
    const used = new Set([...TEMPLATE.matchAll(/\$\{?(MOIM_\w+)/g)].map((m) => m[1]!));
    expect([...used]).toEqual([ADMIN.gatewayVariable]);
    for (const name of used) expect(ADMIN.imageEnv[name], name).toBeDefined();
    const rendered = envsubst(TEMPLATE, { ...ADMIN.imageEnv, host: 'not-me', uri: 'not-me' });
    expect(rendered).not.toMatch(/\$\{?MOIM_/);
    expect(rendered).toContain(`proxy_pass ${ADMIN.imageEnv.MOIM_GATEWAY_URL};`);
    expect(rendered).toContain('proxy_set_header Host $http_host;');
    expect(rendered).toContain('try_files $uri /admin/index.html;');
  });

  it('answers its health check itself, without the gateway', async () => {
    const before = gateway.seen.length;
    const res = await get(ADMIN.health);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('ok\n');
    expect(gateway.seen.length).toBe(before);
  });

  it("serves the console's index.html for its own path and every route of the app, never cached", async () => {
    for (const path of [ADMIN.path, `${ADMIN.path}reports/42?status=OPEN`, `${ADMIN.path}explorer`]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type'], path).toMatch(/^text\/html/);
      expect(res.body.toString(), path).toBe(INDEX);
      expect(res.headers['cache-control'], path).toBe('no-cache');
    }
  });

  it('sends the same Content-Security-Policy as the gateway serving the console, and the other security headers', async () => {
    for (const path of [
      ADMIN.path,
      `${ADMIN.path}assets/index-a1b2c3.js`,
      `${ADMIN.path}assets/missing.js`,
    ]) {
      const { headers } = await get(path);
      expect(headers['content-security-policy'], path).toBe(ADMIN_CONSOLE_CSP);
      expect(headers, path).toMatchObject({
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
        'cross-origin-opener-policy': 'same-origin',
      });
      expect(headers.server, path).toBe('nginx');
    }
    // Nothing from outside: scripts, styles, fonts, workers and connections from this origin alone.
    expect(ADMIN_CONSOLE_CSP).not.toMatch(/https?:|\*/);
    expect(ADMIN_CONSOLE_CSP).toMatch(/default-src 'self'/);
  });

  it('caches hashed assets for good, gzipped, and answers 404 for a missing one (not index.html)', async () => {
    const asset = await get(`${ADMIN.path}assets/index-a1b2c3.js`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(asset.body).toString()).toBe(SCRIPT);
    const missing = await get(`${ADMIN.path}assets/index-000000.js`);
    expect(missing.status).toBe(404);
    expect(missing.body.toString()).not.toContain('Moim admin');
    // Never cached: in a rolling update a new index.html may ask an old pod for a new chunk.
    expect(missing.headers['cache-control']).toBeUndefined();
  });

  it('redirects / and /admin to /admin/, relative to the host the client used', async () => {
    expect(await get('/')).toMatchObject({ status: 302, headers: { location: ADMIN.path } });
    expect(await get(ADMIN.path.replace(/\/$/, ''))).toMatchObject({
      status: 308,
      headers: { location: ADMIN.path },
    });
    for (const path of ['/index.html', '/graphqlx', '/graphql/more', '/assets/index-a1b2c3.js'])
      expect((await get(path)).status, path).toBe(404);
  });

  it('proxies /graphql to the gateway: method, query string, headers and body, and its response unchanged', async () => {
    const before = gateway.seen.length;
    const body = JSON.stringify({ query: '{ me { nickname role } }' });
    const res = await get('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t0ken' },
      body,
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ data: { echo: body } });
    // The gateway's own caching header, not one of nginx's beside it.
    expect(res.headers['cache-control']).toBe('private, no-store');
    const [post] = gateway.seen.slice(before);
    expect(post).toMatchObject({ method: 'POST', url: '/graphql', body });
    expect(post!.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer t0ken',
      host: new URL(base).host,
      'x-forwarded-for': '127.0.0.1',
    });
    const query = await get('/graphql?query=%7B__typename%7D');
    expect(query.status).toBe(200);
    expect(gateway.seen.at(-1)).toMatchObject({ method: 'GET', url: '/graphql?query=%7B__typename%7D' });
  });

  it('passes graphql-ws WebSocket upgrades on /graphql through, both ways', async () => {
    const key = Buffer.from('moim-admin-nginx').toString('base64');
    const { res, socket } = await new Promise<{
      res: { statusCode?: number; headers: IncomingHttpHeaders };
      socket: Socket;
    }>((resolve, reject) => {
      const req = request(`${base}/graphql`, {
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': key,
          'sec-websocket-protocol': 'graphql-transport-ws',
        },
      });
      req.on('upgrade', (r, s: Socket) => resolve({ res: r, socket: s }));
      req.on('response', (r) => reject(new Error(`no upgrade: HTTP ${r.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    try {
      expect(res.statusCode).toBe(101);
      expect(res.headers['sec-websocket-protocol']).toBe('graphql-transport-ws');
      expect(gateway.seen.at(-1)!.headers).toMatchObject({ upgrade: 'websocket', connection: 'upgrade' });
      const echoed = new Promise<string>((resolve) =>
        socket.once('data', (d: Buffer) => resolve(d.toString())),
      );
      socket.write('{"type":"connection_init"}');
      expect(await echoed).toBe('echo:{"type":"connection_init"}');
    } finally {
      socket.destroy();
    }
  });
});
