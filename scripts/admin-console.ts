import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@moim/kit';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ADMIN_DIST = join(ROOT, 'clients/admin/dist');
/** What the console's build is made of: its own sources, the SDK it is built on, their dependencies. */
const SOURCES = [
  'clients/admin/src',
  'clients/admin/public',
  'clients/admin/index.html',
  'clients/admin/vite.config.ts',
  'clients/admin/tsconfig.json',
  'clients/admin/package.json',
  'clients/sdk/src',
  // npm rewrites it on every install: a build after `npm ci`, not after a pull that only changed
  // package-lock.json (the old dependencies would be built in).
  'node_modules/.package-lock.json',
];

function newestChange(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestChange(join(path, entry))));
}

/** True when the build (under `root`) is missing or older than a source file. */
export function adminConsoleStale(root = ROOT): boolean {
  const built = join(root, 'clients/admin/dist/index.html');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return SOURCES.some((source) => newestChange(join(root, source)) > builtAt);
}

/**
 * The console's static build for the gateway to serve at /admin, built first when missing or
 * stale (Vite, some seconds). Null when it cannot be had (a production install without Vite, a
 * failed build): the graph runs without it, and the log says why.
 */
export async function ensureAdminConsole(logger: Logger, signal?: AbortSignal): Promise<string | null> {
  if (!adminConsoleStale()) return ADMIN_DIST;
  if (!existsSync(join(ROOT, 'node_modules/vite'))) {
    logger.warn('admin console not built and Vite is not installed (npm ci installs it): no /admin');
    return null;
  }
  const started = performance.now();
  logger.info('building the admin console (its sources changed or it was never built)');
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    // Ctrl-C during a first build stops Vite too, not only once it has finished.
    const child = spawn('npm', ['run', 'build', '-w', '@moim/admin'], { cwd: ROOT, stdio: 'pipe', signal });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('error', () => resolve(null));
    child.on('close', resolve);
  });
  if (signal?.aborted) return null;
  if (code !== 0) {
    logger.error(
      { output: output.join('').slice(-4000) },
      'admin console build failed: the graph runs without /admin',
    );
    return null;
  }
  logger.info({ ms: Math.round(performance.now() - started) }, 'admin console built');
  return ADMIN_DIST;
}
