import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@moim/kit';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { supergraphFile } from './supergraph-file';

const logger = createLogger('test', 'silent');

describe('supergraphFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moim-supergraph-'));
  const path = join(dir, 'supergraph.graphql');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = async (update: (sdl: string) => void, file = path) => {
    const hook = supergraphFile(file, 5, logger);
    return hook({ update, healthCheck: async () => {}, getDataSource: () => ({}) as never });
  };

  it('loads the file, then hands every changed version to the gateway once', async () => {
    writeFileSync(path, 'v1');
    const update = vi.fn();
    const { supergraphSdl, cleanup } = await start(update);
    expect(supergraphSdl).toBe('v1');
    writeFileSync(path, 'v2');
    await vi.waitFor(() => expect(update).toHaveBeenCalledWith('v2'));
    writeFileSync(path, 'v3');
    await vi.waitFor(() => expect(update).toHaveBeenLastCalledWith('v3'));
    expect(update.mock.calls).toEqual([['v2'], ['v3']]);
    await cleanup!();
  });

  it('keeps serving when the gateway refuses a version, and does not offer it again', async () => {
    writeFileSync(path, 'good');
    const update = vi.fn((sdl: string) => {
      if (sdl === 'broken') throw new Error('not a supergraph');
    });
    const { cleanup } = await start(update);
    writeFileSync(path, 'broken');
    await vi.waitFor(() => expect(update).toHaveBeenCalledWith('broken'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(update).toHaveBeenCalledTimes(1);
    writeFileSync(path, 'fixed');
    await vi.waitFor(() => expect(update).toHaveBeenLastCalledWith('fixed'));
    await cleanup!();
  });

  it('stops reading after cleanup', async () => {
    writeFileSync(path, 'v1');
    const update = vi.fn();
    const { cleanup } = await start(update);
    await cleanup!();
    writeFileSync(path, 'v2');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(update).not.toHaveBeenCalled();
  });

  it('hands nothing over after cleanup, even from a read under way when it came', async () => {
    let release: ((text: string) => void) | undefined;
    let reads = 0;
    // The first read answers at once; the next ones wait until the test lets them.
    const read = async () => (reads++ === 0 ? 'v1' : new Promise<string>((resolve) => (release = resolve)));
    const update = vi.fn();
    const hook = supergraphFile(path, 5, logger, read);
    const { cleanup } = await hook({
      update,
      healthCheck: async () => {},
      getDataSource: () => ({}) as never,
    });
    await vi.waitFor(() => expect(release).toBeDefined());
    await cleanup!();
    release!('v2');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(update).not.toHaveBeenCalled();
    expect(reads).toBe(2);
  });

  it('refuses to start on a missing file, naming the variable', async () => {
    await expect(start(vi.fn(), join(dir, 'missing.graphql'))).rejects.toThrow(
      /SUPERGRAPH_PATH: cannot read .*missing\.graphql \(ENOENT\)/,
    );
  });
});
