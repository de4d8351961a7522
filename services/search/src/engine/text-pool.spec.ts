import { describe, expect, it } from 'vitest';
import type { IndexedDocument } from '../port';
import { DocStore } from './doc-store';
import { copyString, decode, encodedLength, encodeInto, TextPool } from './text-pool';

const SAMPLES = [
  '',
  'plain ascii 123',
  '정말 맛있어요',
  '스타벅스 강남역점 ☕️ café',
  'ㅋㅋㅋ ㅠㅠ 한글 자모',
  '😀 emoji and a lone surrogate \ud800 end',
  '\u0000\u007f\u0080\uabff\uac00\ud7a3\ud7a4\uffff',
];

const encode = (text: string): Uint8Array => {
  const bytes = new Uint8Array(encodedLength(text));
  expect(encodeInto(text, bytes, 0)).toBe(bytes.length);
  return bytes;
};

describe('text encoding', () => {
  it('round-trips any UTF-16 text, Hangul in two bytes', () => {
    for (const text of SAMPLES) expect(decode(encode(text), 0, encodedLength(text))).toBe(text);
    expect(encodedLength('정말 맛있어요')).toBe(13);
    const long = '가나다라 abc '.repeat(2000);
    expect(decode(encode(long), 0, encodedLength(long))).toBe(long);
    expect(copyString(long)).toBe(long);
  });

  it('orders bytes as strings order', () => {
    const pool = new TextPool();
    SAMPLES.forEach((text, slot) => pool.add(slot, text, '', ''));
    for (let a = 0; a < SAMPLES.length; a++) {
      for (let b = 0; b < SAMPLES.length; b++) {
        const expected = SAMPLES[a]! < SAMPLES[b]! ? -1 : SAMPLES[a]! > SAMPLES[b]! ? 1 : 0;
        expect(Math.sign(pool.compareIds(a, b))).toBe(expected);
      }
    }
  });
});

describe('TextPool', () => {
  it('keeps every live text through kills and chunk rewrites', () => {
    const pool = new TextPool();
    const live = new Map<number, [string, string, string]>();
    let slot = 0;
    // ~3 MiB written, most of it killed again: chunks fill, go half dead and are rewritten.
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 2000; i++) {
        const texts: [string, string, string] = [
          `id-${i}`,
          i % 3 === 0 ? `제목 ${i}` : '',
          `본문 ${round} ${i} `.repeat(20),
        ];
        pool.add(slot, ...texts);
        live.set(slot++, texts);
      }
      for (const s of [...live.keys()]) {
        if ((s * 7 + round) % 3 !== 0) {
          pool.kill(s);
          live.delete(s);
        }
      }
    }
    for (const [s, [id, title, body]] of live) {
      expect(pool.id(s)).toBe(id);
      expect(pool.title(s)).toBe(title);
      expect(pool.body(s)).toBe(body);
    }
    expect(pool.size).toBeLessThan(4 * 2 ** 20);
  });

  it('gives a text longer than a chunk a chunk of its own', () => {
    const pool = new TextPool();
    const huge = '긴 글 '.repeat(400_000);
    pool.add(0, 'a', '', 'short');
    pool.add(1, 'b', '', huge);
    pool.add(2, 'c', '', 'after');
    expect([pool.body(0), pool.body(1) === huge, pool.body(2)]).toEqual(['short', true, 'after']);
  });
});

describe('DocStore', () => {
  const doc = (kind: IndexedDocument['kind'], id: string): IndexedDocument => ({
    kind,
    id,
    title: '',
    body: `body of ${id}`,
    authorId: null,
    popularity: 0,
    likes: 0,
    createdAt: '2024-01-01T00:00:00Z',
  });

  it('finds the live slot of (kind, id) through adds, replacements and kills', () => {
    const store = new DocStore();
    const model = new Map<string, number>();
    let seed = 1;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let step = 0; step < 20_000; step++) {
      const kind = random() < 0.5 ? 'REVIEW' : 'PLACE';
      const id = `x${Math.floor(random() * 3000)}`;
      const key = `${kind}:${id}`;
      const old = store.slotOf(kind, id);
      expect(old).toBe(model.get(key) ?? -1);
      if (old >= 0) store.kill(old);
      model.delete(key);
      if (random() < 0.7) model.set(key, store.add(doc(kind, id)));
    }
    expect(store.live).toBe(model.size);
    for (const [key, slot] of model) {
      const [kind, id] = key.split(':') as [IndexedDocument['kind'], string];
      expect(store.slotOf(kind, id)).toBe(slot);
      expect(store.id(slot)).toBe(id);
      expect(store.body(slot)).toBe(`body of ${id}`);
    }
    expect(store.slotOf('USER', 'x1')).toBe(-1);
  });
});
