import { readFile } from 'node:fs/promises';
import type { SupergraphSdlHook } from '@apollo/gateway';
import { ConfigError, type Logger } from '@moim/kit';

/**
 * The supergraph from a file, reloaded when the file changes: in Kubernetes it is a mounted
 * ConfigMap, which the kubelet swaps in place (a symlink flip, which file watchers miss; reading
 * every few seconds does not). A file that fails to parse or build leaves the current supergraph
 * serving, and is reported once, not at every read.
 */
export function supergraphFile(
  path: string,
  pollMs: number,
  logger: Logger,
  read: (path: string) => Promise<string> = (file) => readFile(file, 'utf8'),
): SupergraphSdlHook {
  return async ({ update }) => {
    let seen = await read(path).catch((err: NodeJS.ErrnoException) => {
      throw new ConfigError(`Invalid configuration:\n  SUPERGRAPH_PATH: cannot read ${path} (${err.code})`);
    });
    const check = async () => {
      let text: string;
      try {
        text = await read(path);
      } catch (err) {
        logger.warn({ err, path }, 'supergraph file unreadable: keeping the current supergraph');
        return;
      }
      if (stopped || text === seen) return;
      seen = text;
      try {
        update(text);
        logger.info({ path }, 'supergraph reloaded');
      } catch (err) {
        logger.error({ err, path }, 'supergraph file refused: keeping the current supergraph');
      }
    };
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    // One read at a time, whatever the file system's speed; none after cleanup, even when a read
    // was under way.
    const schedule = () => {
      if (stopped) return;
      timer = setTimeout(() => void check().finally(schedule), pollMs);
      timer.unref();
    };
    if (pollMs > 0) schedule();
    return {
      supergraphSdl: seen,
      cleanup: async () => {
        stopped = true;
        clearTimeout(timer);
      },
    };
  };
}
