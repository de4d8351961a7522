import { createReadStream, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { HttpRoute } from '@moim/kit';

export const ADMIN_CONSOLE_PATH = '/admin';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
};

/**
 * Same-origin only: the console and its explorer load nothing from another host. Monaco (the
 * explorer's editor) sets inline styles and runs its language services in workers.
 */
export const ADMIN_CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The file `path` names inside `dir`, or null (none, a directory, outside it, a malformed escape). */
function fileIn(dir: string, path: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  const relative = normalize(decoded).replace(/^([/\\])+/, '');
  const file = join(dir, relative);
  if (file !== dir && !file.startsWith(dir + sep)) return null;
  try {
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

function sendFile(res: ServerResponse, file: string, cache: string) {
  res.statusCode = 200;
  res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
  res.setHeader('cache-control', cache);
  res.setHeader('content-security-policy', ADMIN_CONSOLE_CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  return new Promise<void>((resolve, reject) => {
    createReadStream(file).on('error', reject).pipe(res).on('finish', resolve).on('error', reject);
  });
}

/**
 * The admin console's static build (clients/admin/dist) under /admin, for `npm start`; production
 * serves it from its own container. Hashed assets are cached for good; any other path is the app
 * (its router reads the URL), so index.html is never cached.
 */
export function adminConsoleRoute(dir: string): HttpRoute {
  const root = normalize(dir).replace(/[/\\]+$/, '');
  const index = join(root, 'index.html');
  return {
    name: 'admin-console',
    prefix: ADMIN_CONSOLE_PATH,
    methods: ['GET', 'HEAD'],
    async handle(req, res) {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path !== ADMIN_CONSOLE_PATH && !path.startsWith(`${ADMIN_CONSOLE_PATH}/`)) {
        res.statusCode = 404;
        res.end();
        return;
      }
      if (path === ADMIN_CONSOLE_PATH) {
        res.statusCode = 308;
        res.setHeader('location', `${ADMIN_CONSOLE_PATH}/`);
        res.end();
        return;
      }
      const asset = path.startsWith(`${ADMIN_CONSOLE_PATH}/assets/`);
      const file = fileIn(root, path.slice(ADMIN_CONSOLE_PATH.length));
      if (file && file !== index)
        return sendFile(res, file, asset ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (asset) {
        res.statusCode = 404;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end('Not found');
        return;
      }
      return sendFile(res, index, 'no-cache');
    },
  };
}
