import argon2 from 'argon2';
import { rateLimited } from '@moim/kit';

/**
 * argon2id with the library's defaults takes 64 MiB and about 0.2 s of one core per hash, so the
 * process runs only a few at once: a flood of sign-ups (or of logins) would otherwise take all the
 * memory and every core, and a legitimate login behind it would wait for all of them.
 */
export const HASH_CONCURRENCY = 2;
/** Callers beyond the running ones wait in line, at most this many (about 1.5 s of work at 2). */
export const HASH_QUEUE_LENGTH = 16;
/** A caller that has waited this long is told to come back, however long the line. */
export const HASH_MAX_WAIT_MS = 5_000;
/** What a refused caller is told: by then the line has moved on. */
export const HASH_RETRY_AFTER_SECONDS = 2;

const busy = () =>
  rateLimited('The server is busy checking passwords: try again shortly', HASH_RETRY_AFTER_SECONDS);

/**
 * A counting semaphore with a bounded line: at most `concurrency` tasks run, at most `queue` wait
 * (first come, first served) for up to `maxWaitMs`; anyone else is refused with RATE_LIMITED at
 * once rather than piling up.
 */
export function createHashPool(options: { concurrency: number; queue: number; maxWaitMs: number }) {
  let running = 0;
  const waiting: Array<{ start: () => void }> = [];

  const acquire = (): Promise<void> => {
    if (running < options.concurrency) {
      running += 1;
      return Promise.resolve();
    }
    if (waiting.length >= options.queue) return Promise.reject(busy());
    return new Promise((resolve, reject) => {
      const waiter = {
        start: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(waiter), 1);
        reject(busy());
      }, options.maxWaitMs);
      // A waiter never keeps a stopping process alive.
      timer.unref();
      waiting.push(waiter);
    });
  };

  // The slot passes straight to the next in line, so `running` never dips and lets a newcomer jump it.
  const release = () => {
    const next = waiting.shift();
    if (next) next.start();
    else running -= 1;
  };

  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      await acquire();
      try {
        return await task();
      } finally {
        release();
      }
    },
    /** Tasks running and waiting at the moment (for tests and metrics). */
    load: () => ({ running, waiting: waiting.length }),
  };
}

/** One line per process: memory and cores are the process's, whichever request asks. */
const pool = createHashPool({
  concurrency: HASH_CONCURRENCY,
  queue: HASH_QUEUE_LENGTH,
  maxWaitMs: HASH_MAX_WAIT_MS,
});

/** argon2id with the library's defaults (64 MiB, 3 passes): slow on purpose. */
export const hashPassword = (password: string): Promise<string> =>
  pool.run(() => argon2.hash(password, { type: argon2.argon2id }));

/**
 * `once` runs when the check has its turn in the line, just before it: login counts the attempt
 * there, so a check refused because the server is busy costs the account nothing.
 */
export const verifyPassword = (
  hash: string,
  password: string,
  once: () => Promise<void> = async () => {},
): Promise<boolean> =>
  pool.run(async () => {
    await once();
    return argon2.verify(hash, password);
  });

/**
 * Verified against when the email is unknown, so a login for a missing account takes as long
 * as a wrong password and does not reveal which emails exist. Made on first use, through the pool;
 * a refusal there is not remembered.
 */
let decoy: Promise<string> | undefined;
export const decoyHash = (): Promise<string> =>
  (decoy ??= hashPassword('decoy-password-never-matches').catch((err: unknown) => {
    decoy = undefined;
    throw err;
  }));
