import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_CONSOLE_CSP, adminConsoleRoute } from './admin-console';

let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  const parent = mkdtempSync(join(tmpdir(), 'moim-console-'));
  dir = join(parent, 'dist');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'assets', 'app-1a2b.js'), 'console.log(1)');
  writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
  writeFileSync(join(parent, 'secret.txt'), 'outside the build');
  const route = adminConsoleRoute(dir);
  server = createServer((req, res) => void route.handle(req, res, 'test'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server?.close();
  rmSync(join(dir, '..'), { recursive: true, force: true });
});

/** A raw GET: fetch would normalise `..` away before it reaches the server. */
function get(path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    request(`${base}${path}`, { method: 'GET', path }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('the admin console route', () => {
  it('serves the app for its own paths, uncached, with a same-origin policy', async () => {
    for (const path of ['/admin/', '/admin/reports', '/admin/explorer?x=1']) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.body).toContain('<title>console</title>');
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBe(ADMIN_CONSOLE_CSP);
    }
    expect(ADMIN_CONSOLE_CSP).toMatch(/default-src 'self'/);
    expect(ADMIN_CONSOLE_CSP).not.toMatch(/https?:/);
  });

  it('caches hashed assets for good and answers a missing one with 404, not the app', async () => {
    const asset = await get('/admin/assets/app-1a2b.js');
    expect(asset.status).toBe(200);
    expect(asset.body).toBe('console.log(1)');
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await get('/admin/favicon.svg')).headers['content-type']).toBe('image/svg+xml');
    expect((await get('/admin/assets/gone-0000.js')).status).toBe(404);
  });

  it('redirects /admin to /admin/ and leaves other paths alone', async () => {
    const res = await get('/admin');
    expect(res.status).toBe(308);
    expect(res.headers.location).toBe('/admin/');
    expect((await get('/administrator')).status).toBe(404);
  });

  it('never serves a file outside the build', async () => {
    for (const path of [
      '/admin/../secret.txt',
      '/admin/%2e%2e/secret.txt',
      '/admin/..%2fsecret.txt',
      '/admin/%E0%A4%A',
    ]) {
      const res = await get(path);
      expect(res.body).not.toContain('outside the build');
    }
  });
});
