import { describe, expect, it } from 'vitest';
import {
  checkCursor,
  decodeCursor,
  decodeRankedCursor,
  encodeCursor,
  encodeRankedCursor,
  pageSize,
  toConnection,
} from './pagination';

const ID = '0190a8c2-7f3e-7c1a-9b2d-3e4f5a6b7c8d';

describe('keyset pagination', () => {
  it('round-trips cursors and rejects garbage as BAD_USER_INPUT', () => {
    const key = { createdAt: new Date('2024-05-01T12:00:00.123Z'), id: ID };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
    for (const bad of [
      '',
      'bm9wZQ',
      Buffer.from('12x:id').toString('base64url'),
      Buffer.from('123:').toString('base64url'),
      Buffer.from(`${Date.UTC(2024, 0, 1)}:not-an-id`).toString('base64url'),
    ]) {
      expect(() => decodeCursor(bad)).toThrow(/after is not a valid cursor/);
    }
  });

  it('round-trips ranked cursors (search results) and refuses forged ones; checkCursor takes either kind', () => {
    const place = { rank: 1, keys: ['CS', '225'], id: ID };
    expect(decodeRankedCursor(encodeRankedCursor(place))).toEqual(place);
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const bad of [
      'garbage',
      forged({ r: 10, k: [], id: ID }),
      forged({ r: 1.5, k: [], id: ID }),
      forged({ r: 0, k: ['a', 'b', 'c', 'd', 'e'], id: ID }),
      forged({ r: 0, k: ['x'.repeat(65)], id: ID }),
      forged({ r: 0, k: [1], id: ID }),
      forged({ r: 0, k: [], id: 'not-an-id' }),
    ])
      expect(() => decodeRankedCursor(bad)).toThrow(/after is not a valid cursor/);
    expect(() => checkCursor(encodeRankedCursor(place))).not.toThrow();
    expect(() => checkCursor(encodeCursor({ createdAt: new Date(), id: ID }))).not.toThrow();
    expect(() => checkCursor(forged({ r: 0, k: [], id: 'x' }))).toThrow(/after is not a valid cursor/);
  });

  it('refuses cursors with times no row can have, which would read an empty or a whole page', () => {
    const now = Date.UTC(2025, 5, 1);
    const at = (ms: number | string) => Buffer.from(`${ms}:${ID}`).toString('base64url');
    const fault = (cursor: string) => {
      try {
        decodeCursor(cursor, now);
        return null;
      } catch (err) {
        return (err as { extensions: unknown }).extensions;
      }
    };
    expect(decodeCursor(at(now + 86_400_000), now).createdAt.getTime()).toBe(now + 86_400_000);
    for (const absurd of [
      0,
      -1,
      -8.64e15,
      Date.UTC(1989, 11, 31),
      now + 2 * 366 * 86_400_000,
      8.64e15,
      'Infinity',
      'NaN',
      '1e400',
    ])
      expect(fault(at(absurd))).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('bounds page sizes to 1..100 with a default of 20', () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(100)).toBe(100);
    expect(() => pageSize(0)).toThrow(/between 1 and 100/);
    expect(() => pageSize(-1)).toThrow(/between 1 and 100/);
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
