import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  EventEnvelope,
  EventPayloads,
  SearchableChange,
  SearchDocument,
  SearchKind,
} from '@moim/events';
import {
  CALLER_HEADER,
  ConfigError,
  signCaller,
  startService,
  type BackendKind,
  type Database,
  type ServiceRole,
} from '@moim/kit';
import {
  eventFeed,
  eventually,
  openTestBackend,
  TEST_SECRET,
  testEnv,
  type TestBackend,
} from '@moim/kit/testing';
import { service, type SearchService } from '../src';
import { ALGOLIA_SETTINGS, algoliaSettingsHash, createAlgoliaIndex } from '../src/backends/algolia';
import { algoliaSync } from '../src/domain/algolia-sync';
import { readState, swapState, writeState } from '../src/domain/store';
import { searchEventHandlers } from '../src/events';
import { startFakeAlgolia, type FakeAlgolia, type RecordedRequest } from './fake-algolia';

// Search with SEARCH_INDEX=algolia, checked at the wire: the real Algolia client talks to a local
// server that answers as Algolia does and records every request. The worker rebuilds the index
// beside the live one and moves it on (at first start, and after a reindex bumps the generation),
// then follows the change log, one worker at a time (the lease), from the cursor it keeps in the
// database, and applies changed settings or synonyms to the live index; the API queries Algolia
// with the search-only key, and is not given the admin key at all. On both backends.

const ADMIN_KEY = 'admin-key-0123456789';
const SEARCH_KEY = 'search-only-key-0123456789';
const LIVE = 'moim';
const REBUILD = 'moim_rebuild';

const doc = (kind: SearchKind, id: string, fields: Partial<SearchDocument> = {}): SearchableChange => ({
  kind,
  id,
  document: {
    kind,
    id,
    title: `${kind} ${id}`,
    body: '',
    authorId: null,
    popularity: 0,
    createdAt: '2025-03-01T12:00:00.000Z',
    ...fields,
  },
});
const gone = (kind: SearchKind, id: string): SearchableChange => ({ kind, id, document: null });

describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend;
  let databaseUrl: string | undefined;
  /** Algolia as the API and the first worker see it. */
  let algolia: FakeAlgolia;
  /** What the second worker talks to: whatever arrives here, the second worker pushed. */
  let algolia2: FakeAlgolia;
  let api: SearchService | null = null;
  let worker: SearchService | null = null;
  let worker2: SearchService | null = null;
  /** Whose consumer the event feed checks (both consume search's events once the second runs). */
  let consumer: SearchService;
  const author = randomUUID();

  /** Search in `role`; the admin key only for a role that writes (as the deployments give it). */
  const start = async (host: string, role: ServiceRole, env: Record<string, string | undefined> = {}) => {
    const config = service.loadEnv(
      testEnv({
        ...test.env,
        DATABASE_URL: databaseUrl,
        SEARCH_INDEX: 'algolia',
        ALGOLIA_APP_ID: 'MOIMTEST',
        ALGOLIA_ADMIN_API_KEY: role === 'api' ? undefined : ADMIN_KEY,
        ALGOLIA_SEARCH_API_KEY: SEARCH_KEY,
        ALGOLIA_HOST: host,
        SEARCH_POLL_MS: '50',
        ...env,
      }),
    );
    return (await startService(service.define(config), config, {
      backend: test.backend,
      role,
    })) as SearchService;
  };

  // Outbox sequences, made up: one counter keeps each document's events in order.
  let sequence = 0;
  const envelope = <T extends keyof EventPayloads>(
    topic: T,
    payload: EventPayloads[T],
  ): EventEnvelope<T> => ({
    id: randomUUID(),
    topic,
    payload,
    sequence: ++sequence,
    occurredAt: new Date().toISOString(),
  });
  /** Applies an event as search's consumer would, in one transaction of `on`'s database. */
  const applyDirectly = <T extends 'searchable.changed' | 'like.created'>(
    on: SearchService,
    topic: T,
    payload: EventPayloads[T],
  ) =>
    on.deps.db.transaction(async (manager) => {
      const event = envelope(topic, payload);
      const handler = searchEventHandlers[topic] as (
        p: EventPayloads[T],
        m: typeof manager,
        e: EventEnvelope<T>,
      ) => Promise<void>;
      await handler(payload, manager, event);
    });

  const feed = eventFeed(() => ({ queues: test.backend.queues, service: consumer }));
  /** Sends events through search's events queue and waits until they are applied. */
  const send = async (...events: Array<{ topic: keyof EventPayloads; payload: unknown }>) => {
    const envelopes = events.map(({ topic, payload }) =>
      feed.envelope(topic, payload as EventPayloads[typeof topic], ++sequence),
    );
    await Promise.all(envelopes.map((e) => feed.send(e)));
    await feed.settle(...envelopes);
  };
  const changed = (...changes: SearchableChange[]) => ({
    topic: 'searchable.changed' as const,
    payload: { changes },
  });
  const liked = (userId: string, targetKind: 'REVIEW' | 'POST', targetId: string) => ({
    topic: 'like.created' as const,
    payload: { userId, targetKind, targetId },
  });

  const lastChange = async (on: SearchService) => {
    const [row] = (await on.deps.db.dataSource.query('SELECT MAX(seq) AS seq FROM search_changes')) as Array<{
      seq: unknown;
    }>;
    return String(row!.seq);
  };
  const describeRequest = (r: RecordedRequest) => `${r.method} ${r.index} ${r.action}`;
  /** Ends the lease of a worker that was stopped (it does not give it back), so another takes it now. */
  const expireLease = async (db: Database) => {
    const lease = (await readState(db, 'algolia_lease'))!;
    const [, holder] = lease.split('|');
    expect(await swapState(db, 'algolia_lease', lease, `${Date.now() - 1}|${holder}`)).toBe(true);
  };
  const liveIds = (fake: FakeAlgolia) => [...(fake.indexes.get(LIVE)?.keys() ?? [])].sort();

  beforeAll(async () => {
    test = await openTestBackend(kind);
    databaseUrl = await test.databaseUrl('search');
    [algolia, algolia2] = await Promise.all([startFakeAlgolia(), startFakeAlgolia()]);
    // The API role first: it migrates, and runs no sync (its loops are none in algolia mode).
    api = await start(algolia.url, 'api');
    // What search holds before its first worker ever ran: two findable documents (one liked), a
    // post announced and then hidden, and a user only ever announced gone.
    await applyDirectly(api, 'searchable.changed', {
      changes: [
        doc('PLACE', 'p1', { title: '스타벅스 강남역점', body: '서울 강남구 · 카페', popularity: 3 }),
        doc('REVIEW', 'r1', { title: '스타벅스 라떼 후기', body: '조용하고 맛있어요', authorId: author }),
        doc('POST', 'x1', { title: '스타벅스 모임', authorId: author }),
        gone('USER', 'u-gone'),
      ],
    });
    await applyDirectly(api, 'searchable.changed', { changes: [gone('POST', 'x1')] });
    await applyDirectly(api, 'like.created', { userId: randomUUID(), targetKind: 'REVIEW', targetId: 'r1' });
    expect(algolia.requests).toEqual([]);
    worker = await start(algolia.url, 'all');
    consumer = worker;
  });
  afterAll(async () => {
    for (const running of [worker2, worker, api]) await running?.stop();
    await Promise.all([algolia?.close(), algolia2?.close()]);
    await test?.cleanUp();
  });

  it('rebuilds beside the live index on first start and moves it on, then stores its cursor', async () => {
    const db = worker!.deps.db;
    // The worker stores the cursor, the generation and the settings one after another: wait for the last.
    await eventually(() => readState(db, 'algolia_settings'));
    const cursor = await readState(db, 'algolia_cursor');
    expect(cursor).toBe(await lastChange(worker!));
    expect(await readState(db, 'algolia_generation')).toBe('');
    // The rebuild applied the settings and synonyms: it records what they were.
    expect(await readState(db, 'algolia_settings')).toBe(algoliaSettingsHash({ synonyms: [] }));

    const moved = algolia.requests.findIndex((r) => r.action === 'operation');
    expect(moved).toBeGreaterThan(0);
    const rebuild = algolia.requests.slice(0, moved + 1);
    // Everything happens on the index beside the live one, with the admin key, the move last.
    expect(new Set(rebuild.map((r) => r.index))).toEqual(new Set([REBUILD]));
    expect(new Set(algolia.requests.map((r) => r.headers['x-algolia-api-key']))).toEqual(
      new Set([ADMIN_KEY]),
    );
    expect(rebuild.slice(0, 4).map(describeRequest)).toEqual([
      `DELETE ${REBUILD} delete`,
      `GET ${REBUILD} task`,
      `PUT ${REBUILD} settings`,
      `POST ${REBUILD} synonyms/clear`,
    ]);
    expect(rebuild[2]!.body).toEqual(ALGOLIA_SETTINGS);
    expect(rebuild.at(-1)!.body).toEqual({ operation: 'move', destination: LIVE });
    // Only waits on tasks follow the move: nothing wrote to the live index.
    expect(new Set(algolia.requests.slice(moved + 1).map((r) => r.action))).toEqual(
      new Set(moved + 1 < algolia.requests.length ? ['task'] : []),
    );

    // The table scan: the findable documents, in one batch, in key order; the hidden ones never added.
    const writes = algolia.writes();
    const batches = [...new Set(writes.map((w) => w.at))];
    expect(batches.every((at) => at > 3 && at < moved)).toBe(true);
    expect(writes.filter((w) => w.at === batches[0]).map((w) => `${w.action} ${w.objectID}`)).toEqual([
      'addObject PLACE:p1',
      'addObject REVIEW:r1',
    ]);
    expect(writes.filter((w) => w.action === 'addObject').map((w) => w.objectID)).not.toEqual(
      expect.arrayContaining(['POST:x1']),
    );
    expect(writes.some((w) => w.action === 'addObject' && w.objectID === 'USER:u-gone')).toBe(false);
    // Every write to the rebuild index is waited for before the move.
    const waited = rebuild.filter((r) => r.action === 'task').length;
    expect(waited).toBeGreaterThanOrEqual(3 + batches.length);

    expect(liveIds(algolia)).toEqual(['PLACE:p1', 'REVIEW:r1']);
    expect(algolia.indexes.has(REBUILD)).toBe(false);
    expect(algolia.indexes.get(LIVE)!.get('REVIEW:r1')).toEqual({
      objectID: 'REVIEW:r1',
      kind: 'REVIEW',
      id: 'r1',
      title: '스타벅스 라떼 후기',
      body: '조용하고 맛있어요',
      authorId: author,
      popularity: 1,
      createdAtTs: Date.parse('2025-03-01T12:00:00.000Z') / 1000,
      titleChoseong: 'ㅅㅌㅂㅅ ㄹㄸ ㅎㄱ ㅅㅌㅂㅅㄹㄸㅎㄱ',
    });
    expect(algolia.indexes.get(LIVE)!.get('PLACE:p1')).toMatchObject({ popularity: 3, authorId: null });
  });

  it('then pushes each change to the live index in order: a new document, its removal, a like', async () => {
    await eventually(() => readState(worker!.deps.db, 'algolia_cursor'));
    const from = algolia.requests.length;
    const pushesOf = (objectID: string) => algolia.writes(from).filter((w) => w.objectID === objectID);

    await send(
      changed(doc('POST', 'n1', { title: '스타벅스 신메뉴 모임', authorId: author, popularity: 2 })),
    );
    const added = (await eventually(() => pushesOf('POST:n1').find((w) => w.action === 'addObject')))!;
    expect(added).toMatchObject({ index: LIVE, body: { title: '스타벅스 신메뉴 모임', popularity: 2 } });
    expect(algolia.requests[added.at]!.headers['x-algolia-api-key']).toBe(ADMIN_KEY);

    await send(changed(gone('POST', 'n1')));
    const removed = (await eventually(() => pushesOf('POST:n1').find((w) => w.action === 'deleteObject')))!;
    expect(removed.index).toBe(LIVE);
    expect(removed.at).toBeGreaterThan(added.at);
    expect(pushesOf('POST:n1').map((w) => w.action)).toEqual(['addObject', 'deleteObject']);

    // A like: the review again, its popularity one more (owner's 0 + now 2 likes).
    await send(liked(randomUUID(), 'REVIEW', 'r1'));
    const relisted = (await eventually(() => pushesOf('REVIEW:r1')[0]))!;
    expect(relisted).toMatchObject({ index: LIVE, action: 'addObject', body: { popularity: 2 } });

    // Only the changed documents went out, each once; no rebuild; the cursor followed.
    expect(algolia.writes(from).map((w) => `${w.action} ${w.objectID}`)).toEqual([
      'addObject POST:n1',
      'deleteObject POST:n1',
      'addObject REVIEW:r1',
    ]);
    expect(algolia.requests.slice(from).some((r) => r.index === REBUILD)).toBe(false);
    await eventually(async () =>
      expect(await readState(worker!.deps.db, 'algolia_cursor')).toBe(await lastChange(worker!)),
    );
    expect(liveIds(algolia)).toEqual(['PLACE:p1', 'REVIEW:r1']);
  });

  it('rebuilds beside the live index and moves it on again when a reindex bumps the generation', async () => {
    const db = worker!.deps.db;
    const from = algolia.requests.length;
    await writeState(db, 'generation', '7');
    await eventually(async () => (await readState(db, 'algolia_generation')) === '7');

    const since = algolia.requests.slice(from);
    const at = (action: string) => since.findIndex((r) => r.action === action);
    const moved = at('operation');
    expect(since[moved]).toMatchObject({ index: REBUILD, body: { operation: 'move', destination: LIVE } });
    expect(at('delete')).toBeLessThan(at('settings'));
    expect(since[at('delete')]!.index).toBe(REBUILD);
    expect(since[at('settings')]!.index).toBe(REBUILD);
    const writes = algolia.writes(from);
    expect(
      writes.every((w) => w.index === REBUILD && w.at - from > at('settings') && w.at - from < moved),
    ).toBe(true);
    expect(writes.filter((w) => w.at === writes[0]!.at).map((w) => `${w.action} ${w.objectID}`)).toEqual([
      'addObject PLACE:p1',
      'addObject REVIEW:r1',
    ]);
    expect(writes.some((w) => w.action === 'addObject' && ['POST:n1', 'POST:x1'].includes(w.objectID))).toBe(
      false,
    );
    expect(liveIds(algolia)).toEqual(['PLACE:p1', 'REVIEW:r1']);
    expect(algolia.indexes.get(LIVE)!.get('REVIEW:r1')).toMatchObject({ popularity: 2 });
    await eventually(async () =>
      expect(await readState(db, 'algolia_cursor')).toBe(await lastChange(worker!)),
    );
  });

  it('applies changed synonyms to the live index once, without a rebuild, when a worker starts with them', async () => {
    const db = api!.deps.db;
    const configured = algoliaSettingsHash({ synonyms: [] });
    expect(await readState(db, 'algolia_settings')).toBe(configured);
    const generation = await readState(db, 'algolia_generation');

    // The worker is redeployed with synonyms: it stops (its lease runs out), the new one starts.
    await worker!.stop();
    await expireLease(db);
    let from = algolia.requests.length;
    worker = await start(algolia.url, 'worker', { SEARCH_SYNONYMS: '카페=커피숍; nyc=new york' });
    consumer = worker;
    const synonyms = [
      ['카페', '커피숍'],
      ['nyc', 'new york'],
    ];
    await eventually(
      async () => (await readState(db, 'algolia_settings')) === algoliaSettingsHash({ synonyms }),
    );
    await sleep(300); // several of its ticks: applied once, not at each
    let since = algolia.requests.slice(from);
    expect(since.filter((r) => r.action !== 'task').map(describeRequest)).toEqual([
      `PUT ${LIVE} settings`,
      `POST ${LIVE} synonyms/batch`,
    ]);
    expect(since[0]!.body).toEqual(ALGOLIA_SETTINGS);
    expect(since[1]!.body).toEqual(
      synonyms.map((group, i) => ({ objectID: `synonyms-${i}`, type: 'synonym', synonyms: group })),
    );
    expect(since[1]!.query.get('replaceExistingSynonyms')).toBe('true');
    expect(new Set(since.map((r) => r.headers['x-algolia-api-key']))).toEqual(new Set([ADMIN_KEY]));
    // No rebuild: the live index keeps its records, the generation its value.
    expect(liveIds(algolia)).toEqual(['PLACE:p1', 'REVIEW:r1']);
    expect(await readState(db, 'algolia_generation')).toBe(generation);

    // And back (no synonyms, in an `all` process): applied once again, the synonyms cleared.
    await worker.stop();
    await expireLease(db);
    from = algolia.requests.length;
    worker = await start(algolia.url, 'all');
    consumer = worker;
    await eventually(async () => (await readState(db, 'algolia_settings')) === configured);
    await sleep(300);
    since = algolia.requests.slice(from);
    expect(since.filter((r) => r.action !== 'task').map(describeRequest)).toEqual([
      `PUT ${LIVE} settings`,
      `POST ${LIVE} synonyms/clear`,
    ]);
    expect(await readState(db, 'algolia_generation')).toBe(generation);
    // It goes on from the cursor as before.
    await send(changed(doc('POST', 's1', { title: '카페 모임' })));
    await eventually(() => algolia.indexes.get(LIVE)?.has('POST:s1'));
    await send(changed(gone('POST', 's1')));
    await eventually(() => !algolia.indexes.get(LIVE)?.has('POST:s1'));
  });

  it('answers search(...) from Algolia with the search-only key, leaving out whom the viewer blocks', async () => {
    const url = await api!.listen(0, '127.0.0.1');
    const viewer = randomUUID();
    const blocked = randomUUID();
    await send({ topic: 'block.created', payload: { blockerId: viewer, blockedId: blocked } });
    const from = algolia.requests.length;

    const body = JSON.stringify({
      query: `query ($q: String!) {
        search(query: $q, first: 5) {
          edges { node { node { __typename ... on Place { id } ... on Review { id } } } }
          pageInfo { hasNextPage }
        }
      }`,
      variables: { q: '  스타벅스 ' },
    });
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [CALLER_HEADER]: signCaller(
          { userId: viewer, role: 'USER', ip: null, requestId: 't' },
          TEST_SECRET,
          'search',
          body,
        ),
      },
      body,
    });
    const json = (await res.json()) as {
      data?: {
        search: { edges: { node: { node: { __typename: string; id: string } } }[]; pageInfo: object };
      };
      errors?: unknown;
    };
    expect(json.errors).toBeUndefined();
    expect(json.data!.search.edges.map((e) => e.node.node)).toEqual([
      { __typename: 'Place', id: 'p1' },
      { __typename: 'Review', id: 'r1' },
    ]);
    expect(json.data!.search.pageInfo).toEqual({ hasNextPage: false });

    const queries = algolia.requests.slice(from);
    expect(queries.map(describeRequest)).toEqual([`POST ${LIVE} query`]);
    expect(queries[0]!.headers['x-algolia-api-key']).toBe(SEARCH_KEY);
    expect(JSON.stringify(queries[0])).not.toContain(ADMIN_KEY);
    expect(queries[0]!.body).toMatchObject({
      query: '스타벅스',
      filters: `NOT authorId:"${blocked}"`,
      offset: 0,
      length: 5,
    });
    // The API role itself never writes: every write so far came with the admin key from the worker,
    // every query with the search-only key.
    for (const r of algolia.requests)
      expect(r.headers['x-algolia-api-key']).toBe(r.action === 'query' ? SEARCH_KEY : ADMIN_KEY);
  });

  it('needs the admin key only where it writes: a worker (or all) without it refuses to start, naming it', async () => {
    // The API was started without it (and queried above): its configuration holds none.
    expect(api!.deps.config.ALGOLIA_ADMIN_API_KEY).toBeUndefined();
    const from = algolia.requests.length;
    for (const role of ['worker', 'all'] as const) {
      const error = await start(algolia.url, role, { ALGOLIA_ADMIN_API_KEY: undefined }).catch(
        (e: unknown) => e,
      );
      expect(error, role).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/ALGOLIA_ADMIN_API_KEY: Required by search's worker/);
    }
    expect(algolia.requests.slice(from)).toEqual([]);
    // The search-only key stays required, in every role.
    expect(() =>
      service.loadEnv(
        testEnv({
          ...test.env,
          DATABASE_URL: databaseUrl,
          SEARCH_INDEX: 'algolia',
          ALGOLIA_APP_ID: 'MOIMTEST',
        }),
      ),
    ).toThrow(/ALGOLIA_SEARCH_API_KEY: Required when SEARCH_INDEX=algolia/);
  });

  it('with two workers, one pushes (the lease), each change once and in order; the other goes on from the cursor', async () => {
    worker2 = await start(algolia2.url, 'worker');
    await sleep(300); // several of its ticks
    // The lease is held: the second worker neither rebuilds nor pushes.
    expect(algolia2.requests).toEqual([]);

    const from = algolia.requests.length;
    const ids = ['d1', 'd2', 'd3'];
    for (let version = 1; version <= 3; version++) {
      // One event per document, consumed by both workers' consumers.
      await send(
        ...ids.map((id) => changed(doc('POST', id, { title: `모임 v${version}`, authorId: author }))),
      );
      await eventually(() =>
        ids.every((id) => algolia.indexes.get(LIVE)?.get(`POST:${id}`)?.title === `모임 v${version}`),
      );
    }
    for (const id of ids) {
      const pushes = algolia.writes(from).filter((w) => w.objectID === `POST:${id}`);
      expect(pushes.map((w) => `${w.index} ${w.action} ${String(w.body.title)}`)).toEqual([
        `${LIVE} addObject 모임 v1`,
        `${LIVE} addObject 모임 v2`,
        `${LIVE} addObject 모임 v3`,
      ]);
    }
    await sleep(200);
    expect(algolia2.requests).toEqual([]);
    const db = worker2!.deps.db;
    await eventually(async () =>
      expect(await readState(db, 'algolia_cursor')).toBe(await lastChange(worker2!)),
    );

    // The first worker goes away and its lease runs out: the second takes over where it stopped.
    await worker!.stop();
    worker = null;
    consumer = worker2!;
    const lease = (await readState(db, 'algolia_lease'))!;
    const [, holder] = lease.split('|');
    expect(await swapState(db, 'algolia_lease', lease, `${Date.now() - 1}|${holder}`)).toBe(true);

    await send(changed(doc('POST', 'd1', { title: '모임 v4', authorId: author })));
    await eventually(() => algolia2.writes().length > 0);
    await eventually(async () =>
      expect(await readState(db, 'algolia_cursor')).toBe(await lastChange(worker2!)),
    );
    expect(
      algolia2.writes().map((w) => `${w.index} ${w.action} ${w.objectID} ${String(w.body.title)}`),
    ).toEqual([`${LIVE} addObject POST:d1 모임 v4`]);
    expect(algolia2.requests.some((r) => r.index === REBUILD)).toBe(false);
    expect((await readState(db, 'algolia_lease'))!.split('|')[1]).not.toBe(holder);
  });

  it('keeps the lease through a rebuild that outlasts it, and writes or moves nothing once it is lost', async () => {
    // The services' workers stop; two sync loops with a short lease take over, on the same
    // database, each with an Algolia of its own that tells who wrote. A's rebuild takes several
    // leases long, as a large index's does: its batches first, then its waits before the move.
    const leaseMs = 120;
    await worker2!.stop();
    worker2 = null;
    consumer = api!;
    const db = api!.deps.db;
    // Read and swapped until no renewal comes in between.
    const setLease = (value: (holder: string) => string) =>
      eventually(async () => {
        const lease = (await readState(db, 'algolia_lease'))!;
        return swapState(db, 'algolia_lease', lease, value(lease.split('|')[1]!));
      });
    const expire = () => setLease((holder) => `0|${holder}`);
    const steal = () => setLease(() => `${Date.now() + 60_000}|someone-else`);
    let slow: 'batches' | 'waits' = 'batches';
    let from = 0;
    const slowA: FakeAlgolia = await startFakeAlgolia({
      delay: (r) => {
        if (r.index !== REBUILD) return 0;
        if (slow === 'batches') return r.action === 'batch' ? 4 * leaseMs : 0;
        // The waits on the rebuild's writes (once its batches went out).
        const batched = slowA.requests.slice(from).some((q) => q.action === 'batch');
        return r.action === 'task' && batched ? 2 * leaseMs : 0;
      },
    });
    const fakeB = await startFakeAlgolia();
    const syncOf = (fake: FakeAlgolia) =>
      algoliaSync({
        db,
        logger: api!.deps.logger,
        pollMs: 50,
        leaseMs,
        index: createAlgoliaIndex({
          appId: 'MOIMTEST',
          adminApiKey: ADMIN_KEY,
          searchApiKey: SEARCH_KEY,
          indexName: LIVE,
          hosts: [{ url: fake.url }],
        }),
      });
    const [a, b] = [syncOf(slowA), syncOf(fakeB)];
    const since = () => slowA.requests.slice(from);
    try {
      await expire();
      await writeState(db, 'generation', '8');
      await a.start();
      await eventually(() => slowA.requests.some((r) => r.action === 'batch'));
      await b.start();
      await eventually(async () => (await readState(db, 'algolia_generation')) === '8');
      expect(slowA.requests.filter((r) => r.action === 'operation')).toHaveLength(1);
      await sleep(2 * leaseMs);
      // B never got the lease: no second rebuild beside (and over) A's.
      expect(fakeB.requests).toEqual([]);
      expect(liveIds(slowA)).toEqual(['PLACE:p1', 'POST:d1', 'POST:d2', 'POST:d3', 'REVIEW:r1']);
      await b.stop();

      // A rebuilds again and, while a batch is on its way, someone else takes the lease: A writes
      // nothing more and stops short of the move (a half-built index never replaces the live one).
      // A change just made: the rebuild applies it in a second batch, after the table's.
      await applyDirectly(api!, 'searchable.changed', {
        changes: [doc('POST', 'd2', { title: '모임 v5', authorId: author })],
      });
      from = slowA.requests.length;
      await writeState(db, 'generation', '9');
      await eventually(() => since().some((r) => r.action === 'batch'));
      await steal();
      const stolenAt = slowA.requests.length;
      await sleep(6 * leaseMs);
      expect(slowA.requests.slice(stolenAt).filter((r) => r.action === 'batch')).toEqual([]);
      expect(since().some((r) => r.action === 'operation')).toBe(false);
      expect(await readState(db, 'algolia_generation')).toBe('8');

      // The lease free again, A rebuilds once more; taken from it while A waits for its writes to
      // be applied, A does not move the index either.
      slow = 'waits';
      from = slowA.requests.length;
      await expire();
      await eventually(() => since().some((r) => r.action === 'batch') && since().at(-1)!.action === 'task');
      await steal();
      await sleep(6 * leaseMs);
      expect(since().some((r) => r.action === 'operation')).toBe(false);
      expect(await readState(db, 'algolia_generation')).toBe('8');
      expect(liveIds(slowA)).toEqual(['PLACE:p1', 'POST:d1', 'POST:d2', 'POST:d3', 'REVIEW:r1']);
      expect(fakeB.requests).toEqual([]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await Promise.all([slowA.close(), fakeB.close()]);
    }
  });
});
