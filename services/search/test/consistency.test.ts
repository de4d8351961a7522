import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EventEnvelope, EventPayloads, SearchableChange, SearchKind, Topic } from '@moim/events';
import { decodeRankedCursor, sqlParams, startService, type BackendKind } from '@moim/kit';
import { openTestBackend, testEnv, TEST_SECRET, type TestBackend } from '@moim/kit/testing';
import { reindex, service, SearchChangeEntity, type SearchDeps, type SearchService } from '../src';
import { ChangeFollower, GAP_WAIT_MS } from '../src/domain/changes';
import type { SearchContext } from '../src/domain/context';
import { search as searchQuery, suggestions } from '../src/domain/queries';
import { pruneChanges } from '../src/domain/prune';
import { followFrom, lastSeq, loadDocuments, writeState } from '../src/domain/store';
import { searchEventHandlers } from '../src/events';
import type { IndexedDocument, SearchIndex } from '../src/port';

// What search guarantees whatever order events arrive in, however the change log fills, and
// whatever happens while a reindex runs: on both backends, with search's real tables.

const review = (id: string, body: string, authorId: string | null = null): SearchableChange => ({
  kind: 'REVIEW',
  id,
  document: {
    kind: 'REVIEW',
    id,
    title: '',
    body,
    authorId,
    popularity: 0,
    createdAt: '2025-03-01T12:00:00.000Z',
  },
});
const gone = (kind: SearchKind, id: string): SearchableChange => ({ kind, id, document: null });

/** An index that only records what it was told. */
function recordingIndex() {
  const applied: Array<{ upsert?: string[]; remove?: string[] }> = [];
  const index: SearchIndex = {
    upsert: async (docs: readonly IndexedDocument[]) => void applied.push({ upsert: docs.map((d) => d.id) }),
    remove: async (keys) => void applied.push({ remove: keys.map((k) => k.id) }),
    search: async () => ({ hits: [], hasMore: false }),
    suggest: async () => [],
  };
  return { index, applied };
}

describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend;
  let search: SearchService;
  const deps = () => search.deps as SearchDeps;

  beforeAll(async () => {
    test = await openTestBackend(kind);
    const config = service.loadEnv(
      testEnv({ ...test.env, DATABASE_URL: await test.databaseUrl('search'), SEARCH_POLL_MS: '50' }),
    );
    search = await startService(service.define(config), config, { backend: test.backend, role: 'api' });
  });
  afterAll(async () => {
    await search?.stop();
    await test?.cleanUp();
  });

  /** Applies an event as the consumer does, with the owner's outbox sequence. */
  const apply = <T extends Topic>(topic: T, payload: EventPayloads[T], sequence: number) =>
    deps().db.transaction((manager) => {
      const handler = searchEventHandlers[topic] as (
        p: unknown,
        m: typeof manager,
        e: EventEnvelope,
      ) => Promise<void>;
      const event: EventEnvelope = {
        id: randomUUID(),
        topic,
        payload,
        sequence,
        occurredAt: new Date().toISOString(),
      };
      return handler(payload, manager, event);
    });
  const stateOf = async (id: string) =>
    (await loadDocuments(deps().db, [`REVIEW:${id}`])).get(`REVIEW:${id}`);

  it('keeps the latest state of a document whatever order its events arrive in', async () => {
    const id = randomUUID();
    await apply('searchable.changed', { changes: [gone('REVIEW', id)] }, 7); // hidden, delivered first
    await apply('searchable.changed', { changes: [review(id, 'visible before the hide')] }, 5); // an older retry
    expect(await stateOf(id)).toBeNull();
    await apply('searchable.changed', { changes: [review(id, 'unhidden and edited')] }, 9);
    expect((await stateOf(id))?.body).toBe('unhidden and edited');

    // Likes per person, as the latest event about that pair says.
    const [ana, ben] = [randomUUID(), randomUUID()];
    const like = (userId: string) => ({ userId, targetKind: 'REVIEW' as const, targetId: id });
    await apply('like.deleted', like(ana), 12);
    await apply('like.created', like(ana), 11); // older: ana's unlike stands
    await apply('like.created', like(ben), 13);
    await apply('like.created', like(ben), 13); // the same event again
    expect((await stateOf(id))?.likes).toBe(1);
  });

  it('follows the change log past holes only once they are old: a late commit is never skipped', async () => {
    const { index, applied } = recordingIndex();
    const start = await lastSeq(deps().db);
    const follower = new ChangeFollower(deps().db, start);
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    for (const [id, seq] of [
      [a, 1],
      [b, 2],
      [c, 3],
    ] as const)
      await apply('searchable.changed', { changes: [review(id, `doc ${seq}`)] }, seq);
    // As if b's transaction had taken its seq but not committed yet: its row is not there.
    const rows = deps().db.dataSource.getRepository(SearchChangeEntity);
    const bRow = await rows.findOneByOrFail({ docKey: `REVIEW:${b}` });
    await rows.delete({ seq: bRow.seq });

    await follower.catchUp(index);
    expect(applied.flatMap((x) => x.upsert ?? [])).toEqual(expect.arrayContaining([a, c]));
    expect(follower.position).toBe(start + 1n); // waits at the hole

    // b commits late, with its seq: the follower, still waiting there, applies it.
    const ds = deps().db.dataSource;
    await ds.query(
      'INSERT INTO search_changes (seq, doc_key, document, created_at) VALUES (?, ?, ?, ?)',
      sqlParams(ds, [bRow.seq, `REVIEW:${b}`, true, new Date()]),
    );
    applied.length = 0;
    await follower.catchUp(index);
    expect(applied.flatMap((x) => x.upsert ?? [])).toContain(b);
    expect(follower.position).toBe(start + 3n);

    // A hole that never fills (a rolled-back insert) is stepped over once it is GAP_WAIT_MS old.
    const d = randomUUID();
    await apply('searchable.changed', { changes: [review(d, 'after a rollback')] }, 4);
    const dRow = await rows.findOneByOrFail({ docKey: `REVIEW:${d}` });
    await ds.query('UPDATE search_changes SET seq = ? WHERE seq = ?', [
      String(BigInt(dRow.seq) + 5n),
      dRow.seq,
    ]);
    await follower.catchUp(index);
    expect(follower.position).toBe(start + 3n);
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + GAP_WAIT_MS + 1);
    try {
      await follower.catchUp(index);
    } finally {
      vi.restoreAllMocks();
    }
    expect(follower.position).toBe(BigInt(dRow.seq) + 5n);
  });

  it('starts waiting at every hole of a batch at once, and a new index follows from before its last seconds', async () => {
    const { index } = recordingIndex();
    const db = deps().db;
    const ds = db.dataSource;
    const base = (await lastSeq(db)) + 10n;
    const insert = (seq: bigint, at = new Date()) =>
      ds.query(
        'INSERT INTO search_changes (seq, doc_key, document, created_at) VALUES (?, ?, ?, ?)',
        sqlParams(ds, [String(seq), 'REVIEW:holes', true, at]),
      );
    // Two holes in one batch: base+2 and base+4..base+6.
    for (const seq of [base + 1n, base + 3n, base + 7n]) await insert(seq);
    const follower = new ChangeFollower(db, base);
    await follower.catchUp(index);
    expect(follower.position).toBe(base + 1n);
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + GAP_WAIT_MS + 1);
    try {
      await follower.catchUp(index); // both holes have waited long enough: past both at once
    } finally {
      vi.restoreAllMocks();
    }
    expect(follower.position).toBe(base + 7n);

    // followFrom: after every change older than the window, before the recent ones.
    await insert(base + 8n);
    await insert(base + 9n);
    await ds.query(
      'UPDATE search_changes SET created_at = ? WHERE seq <= ?',
      sqlParams(ds, [new Date(Date.now() - 60_000), String(base + 8n)]),
    );
    expect(await followFrom(db, 10_000)).toBe(base + 8n);
  });

  it('prunes changes older than a week, never past the Algolia worker’s position while Algolia is the index', async () => {
    const ds = deps().db.dataSource;
    const old = new Date(Date.now() - 8 * 86_400_000);
    const base = (await lastSeq(deps().db)) + 100n;
    for (let i = 0n; i < 4n; i++)
      await ds.query(
        'INSERT INTO search_changes (seq, doc_key, document, created_at) VALUES (?, ?, ?, ?)',
        sqlParams(ds, [String(base + i), 'REVIEW:old', true, old]),
      );
    await ds.query(
      'INSERT INTO search_changes (seq, doc_key, document, created_at) VALUES (?, ?, ?, ?)',
      sqlParams(ds, [String(base + 4n), 'REVIEW:new', true, new Date()]),
    );
    await writeState(deps().db, 'algolia_cursor', String(base + 1n));
    const onAlgolia = { ...deps(), config: { ...deps().config, SEARCH_INDEX: 'algolia' as const } };
    await pruneChanges(onAlgolia);
    const left = async () =>
      (await ds.query('SELECT seq FROM search_changes WHERE seq >= ? ORDER BY seq', [String(base)])).map(
        (r: { seq: unknown }) => BigInt(String(r.seq)),
      );
    expect(await left()).toEqual([base + 2n, base + 3n, base + 4n]);
    // Back on the embedded index, a leftover Algolia position no longer holds the log back.
    await pruneChanges(deps());
    expect(await left()).toEqual([base + 4n]);
  });

  it('checks what an index answers against the tables: a hit hidden, deleted or by someone blocked meanwhile is left out', async () => {
    const [visible, hidden, blockedAuthor, viewer] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const byBlocked = randomUUID();
    await apply(
      'searchable.changed',
      { changes: [review(visible, 'still here'), review(hidden, 'about to go')] },
      201,
    );
    await apply(
      'searchable.changed',
      { changes: [review(byBlocked, 'by someone blocked', blockedAuthor)] },
      202,
    );
    await apply('searchable.changed', { changes: [gone('REVIEW', hidden)] }, 203);
    await apply('block.created', { blockerId: viewer, blockedId: blockedAuthor }, 204);
    // An index that has not caught up yet: it still answers all three.
    const lagging: SearchIndex = {
      ...recordingIndex().index,
      search: async () => ({
        hits: [visible, hidden, byBlocked].map((id, i) => ({
          kind: 'REVIEW' as const,
          id,
          score: 3 - i,
          highlights: [],
        })),
        hasMore: true,
      }),
      suggest: async () => [hidden, visible].map((id) => ({ kind: 'REVIEW' as const, id, text: id })),
    };
    const ctx = {
      caller: { userId: viewer, role: 'USER' as const, ip: null, requestId: 'r' },
      deps: { ...deps(), index: () => lagging },
    } as unknown as SearchContext;
    const page = await searchQuery({ query: 'anything', first: 3 }, ctx);
    expect(page.edges.map((e) => e.node.id)).toEqual([visible]);
    // Positions stay the index's: the next page starts after the third hit, not the first.
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: expect.any(String) });
    expect(decodeRankedCursor(page.pageInfo.endCursor!).keys).toEqual(['3']);
    expect((await suggestions({ prefix: 'any' }, ctx)).map((s) => s.id)).toEqual([visible]);
  });

  describe('reindex', () => {
    let owner: Server;
    let onPage: () => Promise<void> = async () => {};
    let pages: SearchableChange[] = [];
    beforeAll(async () => {
      // An owner answering search's signed page requests (the signature is the kit's, tested there).
      owner = createServer((req, res) => {
        req.resume();
        req.on('end', async () => {
          const documents = pages.map((c) => c.document);
          await onPage();
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ documents, next: null }));
        });
      });
      await new Promise<void>((resolve) => owner.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => owner.close(() => resolve())));

    it('lets events that land while a page is read win, and retires only what no one announced since it began', async () => {
      const url = `http://127.0.0.1:${(owner.address() as AddressInfo).port}`;
      const [hiddenMeanwhile, fresh, lost, createdMeanwhile] = [
        randomUUID(),
        randomUUID(),
        randomUUID(),
        randomUUID(),
      ];
      await apply('searchable.changed', { changes: [review(hiddenMeanwhile, 'to be hidden')] }, 101);
      await apply('searchable.changed', { changes: [review(lost, 'the owner lost it')] }, 102);
      // The owner's page still shows the review as visible; while it is being read the hide
      // event lands, and a review is created whose id sorts before the page.
      pages = [review(hiddenMeanwhile, 'to be hidden'), review(fresh, 'search never heard of it')];
      onPage = async () => {
        // A like meanwhile is no newer state of the document: the page still writes it.
        await apply('like.created', { userId: randomUUID(), targetKind: 'REVIEW', targetId: fresh }, 102);
        await apply('searchable.changed', { changes: [gone('REVIEW', hiddenMeanwhile)] }, 103);
        await apply(
          'searchable.changed',
          { changes: [review(createdMeanwhile, 'created during the reindex')] },
          104,
        );
      };
      const summary = await reindex({
        db: deps().db,
        urlOf: () => url,
        secret: TEST_SECRET,
        kinds: ['REVIEW'],
      });
      expect(summary).toEqual([{ kind: 'REVIEW', seen: 2, retired: expect.any(Number) }]);
      expect(await stateOf(hiddenMeanwhile)).toBeNull();
      expect((await stateOf(fresh))?.body).toBe('search never heard of it');
      expect(await stateOf(lost)).toBeNull();
      expect((await stateOf(createdMeanwhile))?.body).toBe('created during the reindex');
    });
  });
});
