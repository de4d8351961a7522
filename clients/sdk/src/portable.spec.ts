import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The SDK runs in browsers and React Native too: its source must not reach for Node. (ESLint
// says the same in this package; this holds even where lint is skipped.)
describe('the SDK source', () => {
  const dir = new URL('.', import.meta.url).pathname;
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'),
  );

  it('uses no Node modules or globals', () => {
    expect(files).toContain('client.ts');
    const offending = files.flatMap((file) =>
      readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .filter((line) => /from ['"]node:|require\(|\bprocess\.|\bBuffer\b|__dirname/.test(line))
        .map((line) => `${file}: ${line.trim()}`),
    );
    expect(offending).toEqual([]);
  });

  it('uses no web API that React Native lacks (Hermes): AbortSignal.timeout, TextDecoder, atob, btoa, structuredClone', () => {
    const hazard = /\bAbortSignal\s*\.\s*timeout\b|\bTextDecoder\b|\batob\b|\bbtoa\b|\bstructuredClone\b/;
    const offending = files.flatMap((file) =>
      withoutComments(readFileSync(join(dir, file), 'utf8'))
        .split('\n')
        .filter((line) => hazard.test(line))
        .map((line) => `${file}: ${line.trim()}`),
    );
    expect(offending).toEqual([]);
  });
});

/** The code alone: comments may name what the code avoids. */
const withoutComments = (source: string) =>
  source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
