/**
 * Media benchmark: the whole photo pipeline (createUpload through the gateway → PUT of the bytes
 * to media → completeUpload → the image-resize worker → READY with every variant stored) against
 * plain sharp producing the same variants from the same files, in the same run; images per second
 * and peak RSS of each, every phase in a process of its own so that RSS is its alone.
 *
 * Photos: the real photographs of Debian's mate-backgrounds package (GPL-2+), read from
 * /usr/share/backgrounds/mate/nature (`apt-get install mate-backgrounds`), or `--dir`.
 *
 *   npx tsx bench/media.ts [--images 48] [--rounds 2] [--dir DIR] [--resize-concurrency N]
 *
 * `--resize-concurrency` sets RESIZE_CONCURRENCY for both phases (default: media's, 2).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '48' },
    rounds: { type: 'string', default: '2' },
    dir: { type: 'string', default: '/usr/share/backgrounds/mate/nature' },
    phase: { type: 'string' },
    'resize-concurrency': { type: 'string' },
  },
});
const IMAGES = Number(values.images);
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(IMAGES) || IMAGES < 1 || !Number.isInteger(ROUNDS) || ROUNDS < 1)
  throw new Error('usage: npx tsx bench/media.ts [--images 48] [--rounds 2] [--dir DIR]');

function photos(): Array<{ name: string; bytes: Buffer }> {
  let files: string[];
  try {
    files = readdirSync(values.dir).filter((f) => /\.jpe?g$/i.test(f));
  } catch {
    files = [];
  }
  if (!files.length)
    throw new Error(`No photographs in ${values.dir}: apt-get install mate-backgrounds, or pass --dir`);
  const all = files.sort().map((name) => ({ name, bytes: readFileSync(join(values.dir, name)) }));
  return Array.from({ length: IMAGES }, (_, i) => all[i % all.length]!);
}

interface PhaseResult {
  phase: string;
  images: number;
  seconds: number;
  peakRssMb: number;
}

/** Samples RSS while `work` runs; resolves to the peak in MB. */
async function measured(phase: string, work: () => Promise<void>): Promise<PhaseResult> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { phase, images: IMAGES, seconds, peakRssMb: peak / 1024 / 1024 };
}

async function runPhase(phase: string): Promise<PhaseResult> {
  if (values['resize-concurrency']) process.env.RESIZE_CONCURRENCY = values['resize-concurrency'];
  const { rawSharp, pipeline } = await import('./media-phases');
  const input = photos();
  if (phase === 'sharp') return measured(phase, () => rawSharp(input));
  if (phase === 'pipeline') return pipeline(input, measured);
  throw new Error(`Unknown phase ${phase}`);
}

/** Runs a phase in a child process (this file with --phase) and reads its result line. */
function child(phase: string): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const args = [...process.execArgv, fileURLToPath(import.meta.url), '--phase', phase];
    for (const [k, v] of Object.entries(values))
      if (k !== 'phase' && v !== undefined) args.push(`--${k}`, String(v));
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('PHASE '));
      if (code !== 0 || !line) return reject(new Error(`phase ${phase} failed (exit ${code}):\n${out}`));
      resolve(JSON.parse(line.slice('PHASE '.length)) as PhaseResult);
    });
  });
}

if (values.phase) {
  const result = await runPhase(values.phase);
  console.log(`PHASE ${JSON.stringify(result)}`);
  process.exit(0);
}

const results: PhaseResult[] = [];
for (let round = 1; round <= ROUNDS; round++)
  for (const phase of ['sharp', 'pipeline']) {
    const r = await child(phase);
    results.push(r);
    console.log(
      `round ${round} ${phase.padEnd(8)} ${(r.images / r.seconds).toFixed(2)} images/s  peak RSS ${r.peakRssMb.toFixed(0)} MB`,
    );
  }
const best = (phase: string) =>
  results
    .filter((r) => r.phase === phase)
    .reduce((a, b) => (a.images / a.seconds >= b.images / b.seconds ? a : b));
const sharpBest = best('sharp');
const pipelineBest = best('pipeline');
const rate = (r: PhaseResult) => r.images / r.seconds;
console.log('');
console.log('| | images/s | peak RSS MB |');
console.log('|---|---|---|');
console.log(
  `| plain sharp, same variants | ${rate(sharpBest).toFixed(2)} | ${sharpBest.peakRssMb.toFixed(0)} |`,
);
console.log(
  `| Moim pipeline (upload → READY) | ${rate(pipelineBest).toFixed(2)} | ${pipelineBest.peakRssMb.toFixed(0)} |`,
);
console.log('');
console.log(`RESULT pipeline_vs_sharp=${(rate(pipelineBest) / rate(sharpBest)).toFixed(2)}`);
