import { afterEach, describe, expect, it } from 'vitest';
import type { SearchDocument, SearchKind } from '@moim/events';
import {
  CALLER_HEADER,
  fetchSearchablePage,
  keysetPage,
  loadEnv,
  SEARCHABLE_PATH,
  type SearchablePageError,
  serviceEnv,
  signCaller,
  startService,
  type BackendKind,
  type Caller,
  type RequestContext,
  type RunningService,
  type SearchableSource,
  type ServiceDefinition,
  type ServiceDeps,
} from '../src';
import { captureLogs, openTestBackend, TEST_SECRET, testEnv, type TestBackend } from '../src/testing';

// The searchable route the kit mounts for a service with a source, and the client reindexing pages
// with: who may read (a caller signed for this service, an admin), what is refused and how, and
// paging to the end. The source here is the service's own business (each service tests its own
// against its tables); this one keeps users in memory and leaves out the "hidden" ones.
const users: SearchDocument[] = Array.from({ length: 2345 }, (_, i) => ({
  kind: 'USER',
  id: `user-${String(i).padStart(5, '0')}`,
  title: `nickname ${i}`,
  body: i % 7 === 0 ? 'hidden' : '',
  authorId: `user-${i}`,
  popularity: 0,
  createdAt: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
}));
const findable = users.filter((u) => u.body !== 'hidden');
const source: SearchableSource = {
  kinds: ['USER', 'POST'],
  async page(kind, after, limit) {
    if (kind === 'POST') throw new Error('the posts table is gone');
    const rows = findable.filter((u) => after === null || u.id > after).slice(0, limit + 1);
    return keysetPage(rows, limit);
  },
};
const base = {
  name: 'social' as const,
  typeDefs: 'type Query { hello: String! }',
  resolvers: { Query: { hello: () => 'hi' } },
  deps: (kit: ServiceDeps) => kit,
  context: (b: RequestContext) => b,
  searchable: () => source,
};

describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend;
  const running: RunningService[] = [];
  afterEach(async () => {
    for (const s of running.splice(0)) await s.stop();
    await test?.cleanUp();
  });
  async function start(
    def: ServiceDefinition<RequestContext, ServiceDeps> = base,
    role: 'api' | 'worker' | 'all' = 'api',
    logger?: ReturnType<typeof captureLogs>['logger'],
  ) {
    test = await openTestBackend(kind);
    const config = loadEnv(serviceEnv(4001), testEnv(test.env));
    const service = await startService(def, config, { backend: test.backend, role, logger });
    running.push(service);
    return service.listen(0, '127.0.0.1');
  }
  /** A request as anyone may send it: `caller` signs it for `audience` over `signed` (the body by default). */
  const post = (
    url: string,
    body: string,
    caller?: Caller,
    options: { audience?: string; signed?: string } = {},
  ) =>
    fetch(`${url}${SEARCHABLE_PATH}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(caller
          ? {
              [CALLER_HEADER]: signCaller(
                caller,
                TEST_SECRET,
                options.audience ?? 'social',
                options.signed ?? body,
              ),
            }
          : {}),
      },
      body,
    });
  const admin: Caller = { userId: 'a1', role: 'ADMIN', ip: null, requestId: 'r1' };
  const user: Caller = { userId: 'u1', role: 'USER', ip: null, requestId: 'r1' };
  const refusal = async (res: Response) => ({ status: res.status, body: await res.json() });

  it('pages through every findable document exactly once, in id order, with fetchSearchablePage', async () => {
    const url = await start();
    const seen: SearchDocument[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page = await fetchSearchablePage(url, TEST_SECRET, { kind: 'USER', after, limit: 1000 });
      expect(page.documents.length).toBeLessThanOrEqual(1000);
      seen.push(...page.documents);
      after = page.next;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual(findable);
    expect(new Set(seen.map((d) => d.id)).size).toBe(findable.length);
    // A page of one, and the end: next is null on the last page.
    const last = await fetchSearchablePage(url, TEST_SECRET, {
      kind: 'USER',
      after: findable.at(-2)!.id,
      limit: 1,
    });
    expect(last).toEqual({ documents: [findable.at(-1)], next: null });
  });

  it('refuses an unsigned, forged or misaddressed request (401) and a signed one from a non-admin (403)', async () => {
    const url = await start();
    const body = JSON.stringify({ kind: 'USER', after: null, limit: 10 });
    expect(await refusal(await post(url, body))).toEqual({
      status: 401,
      body: {
        code: 'UNAUTHENTICATED',
        error: 'Missing gateway signature: call this service through the gateway',
      },
    });
    // Signed for another body: an admin's header replayed with a bigger page.
    const replayed = await post(url, JSON.stringify({ kind: 'USER', after: null, limit: 1000 }), admin, {
      signed: body,
    });
    expect(await refusal(replayed)).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    expect(await refusal(await post(url, body, admin, { audience: 'review' }))).toEqual({
      status: 401,
      body: { code: 'UNAUTHENTICATED', error: 'Gateway signature is for review, not social' },
    });
    expect(await refusal(await post(url, body, user))).toEqual({
      status: 403,
      body: { code: 'FORBIDDEN', error: 'Only admins can read searchable pages' },
    });
    // Refused before the body is read: a non-admin learns nothing of what is wrong with it.
    expect((await post(url, '{', user)).status).toBe(403);
    expect((await fetch(`${url}${SEARCHABLE_PATH}`)).status).toBe(405);
  });

  it('refuses bad input with 400 and says why; fetchSearchablePage throws the status and message', async () => {
    const url = await start();
    const fails = (request: { kind: string; after: string | null; limit: number }) =>
      fetchSearchablePage(
        url,
        TEST_SECRET,
        request as { kind: SearchKind; after: string | null; limit: number },
        { audience: 'social' },
      ).then(
        () => null,
        (err: SearchablePageError) => ({ name: err.name, status: err.status, message: err.message }),
      );
    const endpoint = `${url}${SEARCHABLE_PATH}`;
    expect(await fails({ kind: 'USER', after: null, limit: 0 })).toEqual({
      name: 'SearchablePageError',
      status: 400,
      message: `400 from ${endpoint}: limit must be an integer from 1 to 1000`,
    });
    expect(await fails({ kind: 'USER', after: null, limit: 1001 })).toMatchObject({
      status: 400,
      message: expect.stringContaining('limit must be an integer from 1 to 1000'),
    });
    expect(await fails({ kind: 'SPACESHIP', after: null, limit: 10 })).toMatchObject({
      status: 400,
      message: expect.stringContaining('Unknown kind "SPACESHIP"'),
    });
    expect(await fails({ kind: 'COURSE', after: null, limit: 10 })).toMatchObject({
      status: 400,
      message: expect.stringContaining('social serves no COURSE (it serves USER, POST); course-catalog does'),
    });
    expect(await refusal(await post(url, 'not json', admin))).toEqual({
      status: 400,
      body: { code: 'BAD_REQUEST', error: 'The body must be JSON: { kind, after, limit }' },
    });
    // Without an audience the client signs for the kind's owner: here the wrong service.
    await expect(
      fetchSearchablePage(url, TEST_SECRET, { kind: 'COURSE', after: null, limit: 10 }),
    ).rejects.toMatchObject({
      status: 401,
      message: expect.stringContaining('is for course-catalog, not social'),
    });
    // The wrong secret.
    await expect(
      fetchSearchablePage(url, 'another-secret-0123456789abcdef01', { kind: 'USER', after: null, limit: 10 }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('answers 500 without details when the source fails, and logs why', async () => {
    const logs = captureLogs('info');
    const url = await start(base, 'api', logs.logger);
    await expect(
      fetchSearchablePage(url, TEST_SECRET, { kind: 'POST', after: null, limit: 10 }),
    ).rejects.toMatchObject({ status: 500, message: expect.stringMatching(/: Internal error$/) });
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ msg: 'searchable page failed', kind: 'POST', err: expect.anything() }),
    );
  });

  it('mounts the route in the api role only, and refuses at start a source of kinds the service does not own', async () => {
    const workerUrl = await start(base, 'worker');
    expect((await post(workerUrl, '{}', admin)).status).toBe(404);
    for (const s of running.splice(0)) await s.stop();
    await test.cleanUp();
    await expect(
      start({ ...base, searchable: () => ({ ...source, kinds: ['USER', 'REVIEW'] }) }),
    ).rejects.toThrow('social serves searchable REVIEW, owned by review');
  });
});
