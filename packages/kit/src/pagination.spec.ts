import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, pageSize, toConnection } from './pagination';

describe('keyset pagination', () => {
  it('round-trips cursors and rejects garbage as BAD_USER_INPUT', () => {
    const key = { createdAt: new Date('2024-05-01T12:00:00.123Z'), id: 'abc-1' };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
    for (const bad of [
      '',
      'bm9wZQ',
      Buffer.from('12x:id').toString('base64url'),
      Buffer.from('123:').toString('base64url'),
    ]) {
      expect(() => decodeCursor(bad)).toThrow(/after is not a valid cursor/);
    }
  });

  it('bounds page sizes to 1..100 with a default of 20', () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(100)).toBe(100);
    expect(() => pageSize(0)).toThrow(/between 1 and 100/);
    expect(() => pageSize(101)).toThrow(/between 1 and 100/);
  });

  it('uses the extra row only to tell whether another page exists', () => {
    const rows = [1, 2, 3].map((n) => ({ id: String(n), createdAt: new Date(n) }));
    const page = toConnection(rows, 2, (r) => r);
    expect(page.edges.map((e) => e.node.id)).toEqual(['1', '2']);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor(rows[1]!) });
    expect(toConnection(rows.slice(0, 2), 2, (r) => r).pageInfo.hasNextPage).toBe(false);
    expect(toConnection([], 2, (r: { id: string; createdAt: Date }) => r).pageInfo).toEqual({
      hasNextPage: false,
      endCursor: null,
    });
  });
});
