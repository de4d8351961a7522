import { describe, expect, it } from 'vitest';
import { successorOf } from './sessions';

describe('the successor of a refresh token', () => {
  const KEY = Buffer.alloc(32, 1).toString('base64url');
  const OTHER_KEY = Buffer.alloc(32, 2).toString('base64url');
  const id = '6f1c1f43-2a0b-4c49-9d6e-5b8a3c2d1e0f';

  it('is the same each time it is derived, and shaped like any token', () => {
    const next = successorOf(KEY, id, 'secret-a');
    expect(successorOf(KEY, id, 'secret-a')).toEqual(next);
    expect(next.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(next.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('takes the old secret and the session’s own key to compute', () => {
    const next = successorOf(KEY, id, 'secret-a');
    expect(successorOf(KEY, id, 'secret-b').id).not.toBe(next.id);
    expect(successorOf(OTHER_KEY, id, 'secret-a').id).not.toBe(next.id);
    expect(successorOf(KEY, id, 'secret-a').secret).not.toBe(successorOf(KEY, id, 'secret-b').secret);
  });
});
