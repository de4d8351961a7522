import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as PasswordsModule from './passwords';

// argon2 replaced by hashes that finish when the test says so: what is measured is how many
// run at once, not how long they take.
const started: Array<{ kind: 'hash' | 'verify'; finish: () => void }> = [];
vi.mock('argon2', () => {
  const pending = (kind: 'hash' | 'verify', value: unknown) =>
    new Promise((resolve) => started.push({ kind, finish: () => resolve(value) }));
  return {
    default: {
      argon2id: 2,
      hash: vi.fn((password: string) => pending('hash', `hash-of-${password}`)),
      verify: vi.fn((hash: string, password: string) => pending('verify', hash === `hash-of-${password}`)),
    },
  };
});

let passwords: typeof PasswordsModule;
beforeEach(async () => {
  started.length = 0;
  vi.resetModules(); // a fresh pool for each test
  passwords = await import('./passwords');
});
afterEach(() => vi.useRealTimers());

const settled = async <T>(p: Promise<T>) => {
  let state: 'pending' | 'fulfilled' | 'rejected' = 'pending';
  p.then(
    () => (state = 'fulfilled'),
    () => (state = 'rejected'),
  );
  await new Promise((r) => setImmediate(r));
  return state;
};
const flush = () => new Promise((r) => setImmediate(r));
const extensionsOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (err: { extensions: unknown }) => err.extensions,
  );

describe('password hashing takes turns', () => {
  it('runs a few hashes and verifies at once, lines up a few more and refuses the rest', async () => {
    const { HASH_CONCURRENCY, HASH_QUEUE_LENGTH, hashPassword, verifyPassword, decoyHash } = passwords;
    const total = HASH_CONCURRENCY + HASH_QUEUE_LENGTH + 3;
    // Sign-ups, logins and the decoy of unknown emails share one line.
    const calls: Array<Promise<unknown>> = [decoyHash()];
    for (let i = 1; i < total; i++)
      calls.push(i % 2 ? verifyPassword('hash-of-x', 'x') : hashPassword(`pw-${i}`));
    const refusals = calls.slice(HASH_CONCURRENCY + HASH_QUEUE_LENGTH).map(extensionsOf);
    await flush();
    expect(started).toHaveLength(HASH_CONCURRENCY);
    expect(await Promise.all(refusals)).toEqual(
      Array(3).fill({ code: 'RATE_LIMITED', retryAfterSeconds: passwords.HASH_RETRY_AFTER_SECONDS }),
    );

    // Each one finished lets exactly one waiting caller in, in order.
    for (let done = 0; done < HASH_QUEUE_LENGTH; done++) {
      started[done]!.finish();
      await flush();
      expect(started).toHaveLength(HASH_CONCURRENCY + done + 1);
    }
    for (const s of started) s.finish();
    const results = await Promise.all(calls.slice(0, HASH_CONCURRENCY + HASH_QUEUE_LENGTH));
    expect(results.slice(0, 3)).toEqual(['hash-of-decoy-password-never-matches', true, 'hash-of-pw-2']);
  });

  it('tells a caller that waited too long to come back, and frees its place in line', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { HASH_CONCURRENCY, HASH_MAX_WAIT_MS, hashPassword } = passwords;
    const running = Array.from({ length: HASH_CONCURRENCY }, (_, i) => hashPassword(`run-${i}`));
    const waiting = hashPassword('waits');
    await flush();
    expect(await settled(waiting)).toBe('pending');
    vi.advanceTimersByTime(HASH_MAX_WAIT_MS);
    expect(await extensionsOf(waiting)).toMatchObject({ code: 'RATE_LIMITED' });

    // The one that gave up is not started later; the next newcomer is.
    const next = hashPassword('next');
    started[0]!.finish();
    await flush();
    expect(started).toHaveLength(HASH_CONCURRENCY + 1);
    for (const s of started) s.finish();
    expect(await next).toBe('hash-of-next');
    await Promise.all(running);
  });

  it('does not remember a refused decoy', async () => {
    const { HASH_CONCURRENCY, HASH_QUEUE_LENGTH, hashPassword, decoyHash } = passwords;
    const busy = Array.from({ length: HASH_CONCURRENCY + HASH_QUEUE_LENGTH }, (_, i) => hashPassword(`${i}`));
    expect(await extensionsOf(decoyHash())).toMatchObject({ code: 'RATE_LIMITED' });
    await flush();
    for (let i = 0; i < started.length; i++) {
      started[i]!.finish();
      await flush();
    }
    await Promise.all(busy);
    const decoy = decoyHash();
    await flush();
    started.at(-1)!.finish();
    expect(await decoy).toBe('hash-of-decoy-password-never-matches');
  });

  it('runs what a check does first only when the check has its turn: a refused check costs nothing', async () => {
    const { HASH_CONCURRENCY, HASH_QUEUE_LENGTH, hashPassword, verifyPassword } = passwords;
    const busy = Array.from({ length: HASH_CONCURRENCY + HASH_QUEUE_LENGTH }, (_, i) => hashPassword(`${i}`));
    const counted: string[] = [];
    const refused = verifyPassword('hash-of-x', 'x', async () => void counted.push('refused'));
    expect(await extensionsOf(refused)).toMatchObject({ code: 'RATE_LIMITED' });
    expect(counted).toEqual([]);
    for (let i = 0; i < started.length; i++) {
      started[i]!.finish();
      await flush();
    }
    await Promise.all(busy);
    const turn = verifyPassword('hash-of-x', 'x', async () => void counted.push('its turn'));
    await flush();
    expect(counted).toEqual(['its turn']);
    started.at(-1)!.finish();
    expect(await turn).toBe(true);
  });
});
