/**
 * Server processes for the benches: each server in a process of its own (its CPU and memory are
 * its own, read from /proc), started from TypeScript through tsx's loader in the process itself.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { TestProcess } from '@moim/kit/testing';
import { startGraph, type Graph } from '@moim/testing';

const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
/** Output kept per stream: enough for a start-up error, bounded for a server logging every request. */
const KEEP_CHARS = 64_000;

/**
 * Like startProcess of @moim/kit/testing, with Node flags (--cpu-prof is refused in NODE_OPTIONS)
 * and output read to the end (as a log collector would) but only its first KEEP_CHARS kept.
 */
export function startNode(
  script: string,
  env: Record<string, string>,
  nodeFlags: string[] = [],
): TestProcess {
  const child = spawn(process.execPath, [...nodeFlags, '--import', TSX_LOADER, script], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    if (stdout.length < KEEP_CHARS) stdout += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < KEEP_CHARS) stderr += d;
  });
  return {
    child,
    exited: once(child, 'close').then(([code]) => code as number),
    out: () => stdout,
    err: () => stderr,
    waitFor: () => Promise.reject(new Error('not used')),
  };
}

export async function waitHealthy(url: string, proc: TestProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${url}: the process exited\n${proc.out()}\n${proc.err()}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} not healthy in ${timeoutMs} ms\n${proc.err()}`);
    await sleep(100);
  }
}

export async function stopProcess(proc: TestProcess | undefined): Promise<void> {
  if (!proc || proc.child.exitCode !== null) return;
  proc.child.kill('SIGTERM');
  const killer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
  await proc.exited;
  clearTimeout(killer);
}

/** Resident memory of a process, MB (VmRSS). */
export function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

/** CPU time (user + system) a process has used, ms. */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in 1/100 s
  } catch {
    return NaN;
  }
}

/**
 * A whole graph on the servers backend for a bench's server process (`startGraph()`: fresh
 * MariaDB databases, a fresh Redis prefix), stopped and removed on SIGTERM or SIGINT, after which
 * the process exits.
 */
export async function startServersGraph(): Promise<Graph> {
  const graph = await startGraph({ backend: 'servers' });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= graph
      .stop()
      .catch((err: unknown) => console.error('stopping the graph failed', err))
      .finally(() => process.exit(0)));
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  return graph;
}

/**
 * Ends a bench server process's set-up: prints `BENCH {json}` (what `describe` returns) for the
 * bench to read, then stays up until the bench sends SIGTERM; a failed set-up stops the graph
 * and exits 1.
 */
export async function announce(graph: Graph, describe: () => Promise<object>): Promise<void> {
  try {
    console.log(`BENCH ${JSON.stringify(await describe())}`);
  } catch (err) {
    console.error(err);
    await graph.stop().catch(() => undefined);
    process.exit(1);
  }
  setInterval(() => {}, 1 << 30);
}
