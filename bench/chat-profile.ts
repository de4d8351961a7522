/** The chat bench's `--profile` summary: self time per function of a V8 `.cpuprofile`. */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/work\/main\//, '');

/**
 * The `top` functions by self time (ms and share of the samples not idle), and the share by
 * package or folder (node_modules packages, the repository's folders, V8 and Node internals).
 */
export function summariseProfile(path: string, top = 12): string[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (const [i, id] of profile.samples.entries())
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const perFunction = new Map<string, number>();
  const perArea = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') {
      idle += functionName === '(idle)' ? us : 0;
      if (functionName === '(idle)') continue;
    }
    busy += us;
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    perFunction.set(key, (perFunction.get(key) ?? 0) + us);
    const file = shortUrl(url);
    const area = !url
      ? functionName.startsWith('(')
        ? functionName
        : '(native)'
      : url.startsWith('node:')
        ? 'node:internals'
        : file.startsWith('@')
          ? file.split('/').slice(0, 2).join('/')
          : file.includes('/') && !url.includes('/work/main/')
            ? file.split('/')[0]!
            : file.split('/').slice(0, 2).join('/');
    perArea.set(area, (perArea.get(area) ?? 0) + us);
  }
  const total = (profile.endTime - profile.startTime) / 1000;
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1)}%`;
  const lines = [
    `profile ${path}: ${(total / 1000).toFixed(1)} s, busy ${(busy / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms`,
    'self time by area (share of busy):',
    ...[...perArea]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([k, us]) => `  ${pct(us).padStart(6)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`),
    'self time by function:',
    ...[...perFunction]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${pct(us).padStart(6)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`),
  ];
  return lines;
}
