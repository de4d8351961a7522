import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild, type Metafile, type Plugin } from 'esbuild';

// npm run build (turbo runs this as @moim/scripts' build): the processes of the image as
// JavaScript. One entry, scripts/moim.ts (`node dist/moim.js <command>`), bundled into dist/ with
// code splitting, so each command's process is a chunk loaded only when it runs. Workspace
// packages (@moim/*) are bundled; every other package stays external and is loaded from
// node_modules at run time (native ones — sharp, argon2, better-sqlite3 — could not be bundled).
//
// Sources read files beside them: readFileSync(new URL('./schema.graphql', import.meta.url)).
// In a bundle import.meta.url is the chunk's, so each workspace file's import.meta.url is
// rewritten to its ORIGINAL location, relative to the chunk (dist/ holds every chunk):
// new URL('../services/review/src/service.ts', import.meta.url).href. The image keeps the source
// tree's other files (schema.graphql, json, txt, fixtures, gateway/supergraph.graphql) where they
// are in the repository, one folder up from dist/.

export const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
export const DIST = join(ROOT, 'dist');
export const ENTRY = join(ROOT, 'scripts', 'moim.ts');

const toPosix = (path: string) => path.split(sep).join('/');
const inNodeModules = (path: string) => path.split(sep).includes('node_modules');

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
const packageName = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Packages that `npm ci --omit=dev` installs directly: any workspace's (or the root's) dependencies. */
function runtimeDependencies(): Set<string> {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    workspaces: string[];
    dependencies?: Record<string, string>;
  };
  const names = new Set(Object.keys(root.dependencies ?? {}));
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dependencies?: Record<string, string>; link?: boolean }>;
  };
  // The lockfile lists every workspace folder (a key without node_modules/) with its dependencies.
  for (const [path, entry] of Object.entries(lock.packages))
    if (path && !path.startsWith('node_modules/') && !path.includes('/node_modules/'))
      for (const name of Object.keys(entry.dependencies ?? {})) names.add(name);
  return names;
}

/**
 * Bare imports other than @moim/* stay external. Node resolves them from dist/, that is from
 * <root>/node_modules only: refused when the importing workspace would have found another copy
 * (a nested node_modules), when the package is not installed, or when `npm ci --omit=dev` would
 * not install it (a devDependency only).
 */
function externals(): Plugin {
  const builtins = new Set(builtinModules);
  const runtime = runtimeDependencies();
  return {
    name: 'moim-externals',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('@moim/')) return undefined;
        if (args.path.startsWith('node:') || builtins.has(args.path))
          return { path: args.path, external: true };
        const name = packageName(args.path);
        const errors: string[] = [];
        let found: string | undefined;
        for (let dir = args.resolveDir; ; dir = dirname(dir)) {
          if (existsSync(join(dir, 'node_modules', name))) {
            found = dir;
            break;
          }
          if (dir === ROOT || dirname(dir) === dir) break;
        }
        if (found === undefined) errors.push(`${name} is not installed (npm ci)`);
        else if (found !== ROOT)
          errors.push(
            `${name} resolves to ${relative(ROOT, found) || '.'}/node_modules from ${relative(ROOT, args.importer)}, ` +
              `but the bundle in dist/ loads node_modules/${name}: align the versions so npm hoists it`,
          );
        if (!runtime.has(name))
          errors.push(
            `${name} (imported by ${relative(ROOT, args.importer)}) is no workspace's dependency: ` +
              `npm ci --omit=dev would not install it in the image`,
          );
        if (errors.length) return { errors: errors.map((text) => ({ text })) };
        return { path: args.path, external: true };
      });
    },
  };
}

/**
 * import.meta.url (and .filename, .dirname) of each workspace module made its original
 * location's, relative to the chunk it lands in. The entry keeps the bundle's own: it is dist/moim.js.
 */
function originalLocations(): Plugin {
  return {
    name: 'moim-import-meta',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
        if (inNodeModules(args.path) || args.path === ENTRY) return undefined;
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta')) return { contents: source, loader: 'ts' };
        const fileUrl = (path: string) =>
          `new URL(${JSON.stringify(toPosix(relative(DIST, path)) + (path === args.path ? '' : '/'))}, import.meta.url)`;
        const contents = source.replace(/\bimport\.meta\.(url|filename|dirname)\b/g, (_, property: string) =>
          property === 'url'
            ? `${fileUrl(args.path)}.href`
            : // POSIX paths: the image is Linux.
              `decodeURIComponent(${fileUrl(property === 'filename' ? args.path : dirname(args.path))}.pathname).replace(/\\/$/, '')`,
        );
        return { contents, loader: 'ts' };
      });
    },
  };
}

export interface BuildResult {
  metafile: Metafile;
  ms: number;
  /** Every output file (relative to the root) and its size in bytes. */
  outputs: Record<string, number>;
}

/** Builds dist/ afresh (old chunks removed first). */
export async function build(options: { log?: boolean } = {}): Promise<BuildResult> {
  const started = performance.now();
  rmSync(DIST, { recursive: true, force: true });
  const result = await esbuild({
    absWorkingDir: ROOT,
    entryPoints: { moim: ENTRY },
    outdir: DIST,
    entryNames: '[name]',
    // Beside the entry: the rewritten import.meta.url of every module is relative to dist/.
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // TypeORM names migrations (and entities) after their classes.
    keepNames: true,
    sourcemap: true,
    metafile: true,
    logLevel: options.log === false ? 'silent' : 'warning',
    plugins: [externals(), originalLocations()],
  });
  // ESM whatever package.json sits above dist/.
  writeFileSync(join(DIST, 'package.json'), '{ "type": "module" }\n');
  const outputs = Object.fromEntries(
    Object.entries(result.metafile.outputs).map(([file, { bytes }]) => [file, bytes]),
  );
  return { metafile: result.metafile, ms: Math.round(performance.now() - started), outputs };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outputs, ms } = await build();
  const js = Object.entries(outputs).filter(([file]) => file.endsWith('.js'));
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} kB`;
  const total = js.reduce((sum, [, bytes]) => sum + bytes, 0);
  console.log(`dist/: ${js.length} files of JavaScript, ${kb(total)} (source maps beside them), in ${ms} ms`);
  for (const [file, bytes] of js.sort(([, a], [, b]) => b - a).slice(0, 5))
    console.log(`  ${file.padEnd(40)} ${kb(bytes)}`);
}
