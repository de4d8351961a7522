import { describe, expect, it } from 'vitest';
import type { SearchableChange, SearchDocument } from '@moim/events';
import {
  checkSearchableSource,
  EVENT_PAYLOAD_BYTES,
  fitChange,
  fitDocument,
  keysetPage,
  parseSearchableRequest,
  searchableEvents,
} from './searchable';

const doc = (id: string, body = 'a body'): SearchDocument => ({
  kind: 'USER',
  id,
  title: `user ${id}`,
  body,
  authorId: id,
  popularity: 0,
  createdAt: '2025-01-01T00:00:00.000Z',
});
const change = (id: string, body?: string): SearchableChange => ({
  kind: 'USER',
  id,
  document: doc(id, body),
});
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

describe('searchableEvents', () => {
  it('splits changes into events of at most 500, in order', () => {
    const changes = Array.from({ length: 1201 }, (_, i) => change(String(i)));
    // With room enough for any number of bytes, the count alone decides.
    const events = searchableEvents(changes, { bytes: 10_000_000 });
    expect(events.map((e) => e.changes.length)).toEqual([500, 500, 201]);
    expect(events.flatMap((e) => e.changes)).toEqual(changes);
    expect(searchableEvents([])).toEqual([]);
    // Within the outbox column's bytes, ~170 bytes a change make fewer than 500 an event.
    const fitting = searchableEvents(changes);
    for (const event of fitting) {
      expect(event.changes.length).toBeLessThanOrEqual(500);
      expect(bytes(event)).toBeLessThanOrEqual(EVENT_PAYLOAD_BYTES);
    }
    expect(fitting.flatMap((e) => e.changes)).toEqual(changes);
  });

  it('closes an event early when its JSON would outgrow the outbox column, each byte counted', () => {
    // Hangul is three bytes a character in UTF-8: 6,000 characters are 18,000 bytes.
    const changes = Array.from({ length: 10 }, (_, i) => change(String(i), '가'.repeat(6000)));
    const events = searchableEvents(changes);
    expect(events.map((e) => e.changes.length)).toEqual([3, 3, 3, 1]);
    for (const event of events) expect(bytes(event)).toBeLessThanOrEqual(EVENT_PAYLOAD_BYTES);
    expect(events.flatMap((e) => e.changes)).toEqual(changes);
    // Exactly at the limit still fits: the bound is inclusive.
    const two = searchableEvents(changes.slice(0, 2), { bytes: bytes({ changes: changes.slice(0, 2) }) });
    expect(two).toHaveLength(1);
  });

  it('cuts the body of a document too long for an event on its own, and nothing else', () => {
    const long = change('big', `${'"'.repeat(10)}${'가'.repeat(30_000)}`);
    const [event, ...rest] = searchableEvents([
      change('a'),
      long,
      { kind: 'POST', id: 'gone', document: null },
    ]);
    expect(rest).toHaveLength(2);
    expect(event!.changes).toEqual([change('a')]);
    const cut = rest[0]!.changes[0]!;
    expect(bytes(rest[0])).toBeLessThanOrEqual(EVENT_PAYLOAD_BYTES);
    expect(cut.document!.body.length).toBeGreaterThan(15_000);
    expect(long.document!.body.startsWith(cut.document!.body)).toBe(true);
    expect({ ...cut.document, body: '' }).toEqual({ ...long.document, body: '' });
    expect(rest[1]!.changes).toEqual([{ kind: 'POST', id: 'gone', document: null }]);
  });
});

describe('fitChange and fitDocument', () => {
  it('leave what fits as it is, and never split a character made of two UTF-16 units', () => {
    expect(fitChange(change('a'))).toEqual(change('a'));
    const emoji = doc('e', '😀'.repeat(20_000)); // 4 bytes each
    const fitted = fitDocument(emoji);
    expect(bytes(fitted)).toBeLessThan(EVENT_PAYLOAD_BYTES);
    expect([...fitted.body].every((c) => c === '😀')).toBe(true);
    expect(fitted.body.length % 2).toBe(0);
  });
});

describe('parseSearchableRequest', () => {
  const parse = (body: unknown) =>
    parseSearchableRequest(typeof body === 'string' ? body : JSON.stringify(body), 'social', [
      'USER',
      'POST',
    ]);

  it('reads kind, after and limit; after may be left out', () => {
    expect(parse({ kind: 'USER', after: 'abc', limit: 1000 })).toEqual({
      kind: 'USER',
      after: 'abc',
      limit: 1000,
    });
    expect(parse({ kind: 'POST', limit: 1 })).toEqual({ kind: 'POST', after: null, limit: 1 });
  });

  it.each([
    ['not json', 'The body must be JSON'],
    [[1], 'The body must be an object'],
    [
      { kind: 'SPACESHIP', limit: 10 },
      'Unknown kind "SPACESHIP": one of USER, POST, REVIEW, PLACE, PRODUCT, COURSE',
    ],
    [{ limit: 10 }, 'Unknown kind undefined'],
    [{ kind: 'REVIEW', limit: 10 }, 'social serves no REVIEW (it serves USER, POST); review does'],
    [{ kind: 'USER', limit: 0 }, 'limit must be an integer from 1 to 1000'],
    [{ kind: 'USER', limit: 1001 }, 'limit must be an integer from 1 to 1000'],
    [{ kind: 'USER', limit: 2.5 }, 'limit must be an integer from 1 to 1000'],
    [{ kind: 'USER', limit: '10' }, 'limit must be an integer from 1 to 1000'],
    [{ kind: 'USER', after: 7, limit: 10 }, 'after must be null or the next of a page'],
    [{ kind: 'USER', after: '', limit: 10 }, 'after must be null or the next of a page'],
  ])('refuses %j: %s', (body, message) => {
    expect(() => parse(body)).toThrow(message);
  });
});

describe('keysetPage', () => {
  it('keeps limit documents and points after the last when one more was read', () => {
    const docs = ['a', 'b', 'c'].map((id) => doc(id));
    expect(keysetPage(docs, 2)).toEqual({ documents: docs.slice(0, 2), next: 'b' });
    expect(keysetPage(docs, 3)).toEqual({ documents: docs, next: null });
    expect(keysetPage([], 3)).toEqual({ documents: [], next: null });
  });
});

describe('checkSearchableSource', () => {
  const source = (kinds: SearchDocument['kind'][]) => ({
    kinds,
    page: async () => ({ documents: [], next: null }),
  });
  it('refuses kinds another subgraph owns, or one kind twice', () => {
    expect(() => checkSearchableSource('review', source(['REVIEW', 'PLACE', 'PRODUCT']))).not.toThrow();
    expect(() => checkSearchableSource('review', source(['REVIEW', 'USER']))).toThrow(
      'review serves searchable USER, owned by social',
    );
    expect(() => checkSearchableSource('social', source(['USER', 'USER']))).toThrow(
      'lists a searchable kind twice',
    );
  });
});
