import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchableChange, SearchDocument, SearchKind } from '@moim/events';
import { fetchSearchablePage, OutboxEvent, startService, type BackendKind, type Caller } from '@moim/kit';
import { openTestBackend, TEST_SECRET, testEnv, type TestBackend } from '@moim/kit/testing';
import { insertAccounts, makeAdmin, PostEntity, service, UserEntity, type SocialService } from '../src';
import { signUp, updateProfile } from '../src/domain/accounts';
import { signInWithFirebase } from '../src/domain/firebase-accounts';
import { createPost, deletePost, setPostHidden, updatePost } from '../src/domain/posts';
import { addComment, deleteComment } from '../src/domain/comments';
import { react, unreact } from '../src/domain/reactions';
import { report, resolveReport } from '../src/domain/reports';
import { TargetEntity } from '../src/entities';

// What social tells search (issue 21), read back from its outbox: users on every sign-up path and
// profile change, posts through their life (edits, hiding, reports, deletion), likes exactly once
// per change; and the pages `npm run reindex` reads, signed as the kit's client signs them. On both
// backends.
describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend;
  let social: SocialService;
  let url: string;

  beforeAll(async () => {
    test = await openTestBackend(kind);
    const config = service.loadEnv(testEnv({ ...test.env, DATABASE_URL: await test.databaseUrl('social') }));
    social = await startService(service.define(config), config, { backend: test.backend, role: 'api' });
    url = await social.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await social?.stop();
    await test?.cleanUp();
  });

  const outbox = () => social.deps.db.dataSource.getRepository(OutboxEvent);
  // What search and review's popular tab learn from (notifications and the rest left out).
  const SEARCH_TOPICS = [
    'searchable.changed',
    ...['like', 'scrap', 'comment'].flatMap((t) => [`${t}.created`, `${t}.deleted`]),
  ];
  /** What `work` recorded for search and review, oldest first (the relay publishes rows, it does not remove them). */
  async function recordedBy(work: () => Promise<unknown>) {
    const { last } = (await outbox().createQueryBuilder('e').select('MAX(e.seq)', 'last').getRawOne()) as {
      last: string | number | null;
    };
    await work();
    const rows = await outbox()
      .createQueryBuilder('e')
      .where('e.seq > :last', { last: last ?? 0 })
      .orderBy('e.seq', 'ASC')
      .getMany();
    return rows
      .filter((row) => SEARCH_TOPICS.includes(row.topic))
      .map((row) => ({ topic: row.topic, payload: JSON.parse(row.payload) as unknown }));
  }
  const changed = (...changes: SearchableChange[]) => ({ topic: 'searchable.changed', payload: { changes } });
  const userDoc = (u: {
    id: string;
    nickname: string;
    bio: string | null;
    createdAt: Date;
  }): SearchableChange => ({
    kind: 'USER',
    id: u.id,
    document: {
      kind: 'USER',
      id: u.id,
      title: u.nickname,
      body: u.bio ?? '',
      authorId: u.id,
      popularity: 0,
      createdAt: u.createdAt.toISOString(),
    },
  });
  const postDoc = (p: { id: string; title: string; body: string; authorId: string; createdAt: Date }) => ({
    kind: 'POST' as const,
    id: p.id,
    document: {
      kind: 'POST' as const,
      id: p.id,
      title: p.title,
      body: p.body,
      authorId: p.authorId,
      popularity: 0,
      createdAt: p.createdAt.toISOString(),
    },
  });
  const gone = (kind: SearchKind, id: string): SearchableChange => ({ kind, id, document: null });
  const nickname = () => `u${randomBytes(5).toString('hex')}`;
  const ip = () => `10.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
  const as = (userId: string | null, role: Caller['role'] = 'USER'): Caller => ({
    userId,
    role,
    ip: ip(),
    requestId: 'test',
  });
  const aUser = async () =>
    (
      await social.deps.db.transaction((m) =>
        insertAccounts(m, [
          { email: `${nickname()}@example.com`, nickname: nickname(), role: 'USER', passwordHash: 'x' },
        ]),
      )
    )[0]!;
  const user = (id: string) => social.deps.db.dataSource.getRepository(UserEntity).findOneByOrFail({ id });

  it('announces a user on every way of signing up, and when their nickname or bio changes', async () => {
    const email = `${nickname()}@example.com`;
    let signedUp!: Awaited<ReturnType<typeof signUp>>;
    expect(
      await recordedBy(async () => {
        signedUp = await signUp(social.deps, as(null), {
          email,
          password: 'a long and unusual passphrase 42',
          nickname: nickname(),
        });
      }),
    ).toEqual([changed(userDoc(signedUp.user))]);

    // An admin made by `npm run create-admin`, and the same account promoted again: no new document.
    let admin!: Awaited<ReturnType<typeof makeAdmin>>;
    const adminEmail = `${nickname()}@example.com`;
    const adminName = nickname();
    expect(
      await recordedBy(async () => {
        admin = await makeAdmin(social.deps, {
          email: adminEmail,
          password: 'another long passphrase 7',
          nickname: adminName,
        });
      }),
    ).toEqual([changed(userDoc(admin.user))]);
    expect(await recordedBy(() => makeAdmin(social.deps, { email: adminEmail }))).toEqual([]);

    // Imports (the demo seed): one event for all of them.
    let imported: Awaited<ReturnType<typeof insertAccounts>> = [];
    const accounts = [1, 2, 3].map(() => ({
      email: `${nickname()}@example.com`,
      nickname: nickname(),
      role: 'USER' as const,
      passwordHash: 'x',
    }));
    expect(
      await recordedBy(async () => {
        imported = await social.deps.db.transaction((m) => insertAccounts(m, accounts));
      }),
    ).toEqual([changed(...imported.map(userDoc))]);

    // Firebase, a new account (the verifier port answering as Google would).
    const uid = randomUUID();
    const firebase = {
      verify: async () => ({
        uid,
        email: `${nickname()}@gmail.example`,
        emailVerified: true,
        name: 'Kim',
        provider: 'google.com',
      }),
    };
    let viaFirebase!: Awaited<ReturnType<typeof signInWithFirebase>>;
    expect(
      await recordedBy(async () => {
        viaFirebase = await signInWithFirebase({ ...social.deps, firebase }, as(null), 'a-token');
      }),
    ).toEqual([changed(userDoc(viaFirebase.user))]);
    // Signing in again finds the account: nothing new to search.
    expect(
      await recordedBy(() => signInWithFirebase({ ...social.deps, firebase }, as(null), 'a-token')),
    ).toEqual([]);

    const id = signedUp.user.id;
    expect(await recordedBy(() => updateProfile(social.deps, id, { bio: 'I review ramen' }))).toEqual([
      changed(userDoc({ ...signedUp.user, bio: 'I review ramen' })),
    ]);
    const renamed = nickname();
    expect(await recordedBy(() => updateProfile(social.deps, id, { nickname: renamed }))).toEqual([
      changed(userDoc({ ...signedUp.user, nickname: renamed, bio: 'I review ramen' })),
    ]);
    // Nothing searchable changed.
    expect(await recordedBy(() => updateProfile(social.deps, id, {}))).toEqual([]);
    expect(await user(id)).toMatchObject({ nickname: renamed, bio: 'I review ramen' });
  });

  it('announces a post on creation and text edits, null while hidden (by an admin or a report) and once deleted', async () => {
    const author = await aUser();
    const admin = as(randomUUID(), 'ADMIN');
    let post!: Awaited<ReturnType<typeof createPost>>;
    expect(
      await recordedBy(async () => {
        post = await createPost(social.deps, as(author.id), {
          board: 'uiuc',
          title: 'Anyone for CS 225?',
          body: 'Looking for a study group',
        });
      }),
    ).toEqual([changed(postDoc(post))]);

    expect(
      await recordedBy(() =>
        updatePost(social.deps, as(author.id), post.id, { title: 'CS 225 study group' }),
      ),
    ).toEqual([changed(postDoc({ ...post, title: 'CS 225 study group' }))]);
    expect(await recordedBy(() => updatePost(social.deps, as(author.id), post.id, {}))).toEqual([]);

    const edited = { ...post, title: 'CS 225 study group' };
    const hide = (hidden: boolean) => social.deps.db.transaction((m) => setPostHidden(m, post.id, hidden));
    expect(await recordedBy(() => hide(true))).toEqual([changed(gone('POST', post.id))]);
    expect(await recordedBy(() => hide(false))).toEqual([changed(postDoc(edited))]);

    // A report resolved with HIDE hides it; its author's edits while hidden stay unsearchable.
    const reporter = await aUser();
    const opened = await report(social.deps, as(reporter.id), { targetId: post.id, reason: 'SPAM' });
    expect(await recordedBy(() => resolveReport(social.deps, admin, opened.id, 'HIDE'))).toEqual([
      changed(gone('POST', post.id)),
    ]);
    expect(
      await recordedBy(() => updatePost(social.deps, as(author.id), post.id, { body: 'Still looking' })),
    ).toEqual([changed(gone('POST', post.id))]);
    expect(await recordedBy(() => deletePost(social.deps, as(author.id), post.id))).toEqual([
      changed(gone('POST', post.id)),
    ]);
  });

  it('tells search and review of a like or scrap exactly once per one made or taken back, on posts and reviews', async () => {
    const author = await aUser();
    const fan = await aUser();
    const post = await createPost(social.deps, as(author.id), {
      board: 'uiuc',
      title: 'Hello',
      body: 'World',
    });
    const like = { userId: fan.id, targetKind: 'POST', targetId: post.id, at: expect.any(String) };
    // Twice in a row and twice at once: one like.
    expect(
      await recordedBy(async () => {
        await react(social.deps, as(fan.id), 'like', post.id);
        await react(social.deps, as(fan.id), 'like', post.id);
        await Promise.all([1, 2].map(() => react(social.deps, as(fan.id), 'like', post.id)));
      }),
    ).toEqual([{ topic: 'like.created', payload: like }]);
    // Scraps are their own events.
    expect(await recordedBy(() => react(social.deps, as(fan.id), 'scrap', post.id))).toEqual([
      { topic: 'scrap.created', payload: like },
    ]);
    expect(
      await recordedBy(async () => {
        await unreact(social.deps, as(fan.id), 'like', post.id);
        await unreact(social.deps, as(fan.id), 'like', post.id);
        await Promise.all([1, 2].map(() => unreact(social.deps, as(fan.id), 'like', post.id)));
      }),
    ).toEqual([{ topic: 'like.deleted', payload: like }]);
    expect(await recordedBy(() => unreact(social.deps, as(fan.id), 'scrap', post.id))).toEqual([
      { topic: 'scrap.deleted', payload: like },
    ]);
    expect(await recordedBy(() => unreact(social.deps, as(fan.id), 'scrap', post.id))).toEqual([]);

    // A review, as social knows it from review's events.
    const reviewId = randomUUID();
    await social.deps.db.dataSource
      .getRepository(TargetEntity)
      .insert({ id: reviewId, kind: 'REVIEW', authorId: author.id, state: 'VISIBLE', version: '1' });
    const before = Date.now();
    const recorded = await recordedBy(() => react(social.deps, as(fan.id), 'like', reviewId));
    expect(recorded).toEqual([
      {
        topic: 'like.created',
        payload: { userId: fan.id, targetKind: 'REVIEW', targetId: reviewId, at: expect.any(String) },
      },
    ]);
    // When it was made: the popular tab's decay reads it.
    const at = Date.parse((recorded[0]!.payload as { at: string }).at);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());

    // Comments: one event per comment made, one per comment deleted.
    const first = await addComment(social.deps, as(fan.id), reviewId, 'Looks good', null);
    let reply: Awaited<ReturnType<typeof addComment>> | null = null;
    const commented = await recordedBy(async () => {
      reply = await addComment(social.deps, as(author.id), reviewId, 'Thanks', first.id);
    });
    const about = (commentId: string, userId: string) => ({
      commentId,
      userId,
      targetKind: 'REVIEW',
      targetId: reviewId,
      at: expect.any(String),
    });
    expect(commented).toEqual([{ topic: 'comment.created', payload: about(reply!.id, author.id) }]);
    // Deleting a comment with replies leaves a placeholder, but the comment is gone for its author.
    expect(await recordedBy(() => deleteComment(social.deps, as(fan.id), first.id))).toEqual([
      { topic: 'comment.deleted', payload: about(first.id, fan.id) },
    ]);
  });

  it('serves every user and every post not hidden for reindexing, each once, as the events announce them', async () => {
    const author = await aUser();
    const posts: Array<Awaited<ReturnType<typeof createPost>>> = [];
    for (const title of ['one', 'two', 'three', 'four'])
      posts.push(
        await createPost(social.deps, as(author.id), { board: 'uiuc', title, body: `post ${title}` }),
      );
    await social.deps.db.transaction((m) => setPostHidden(m, posts[1]!.id, true));
    await deletePost(social.deps, as(author.id), posts[2]!.id);

    const all = async (kind: SearchKind, limit: number) => {
      const documents: SearchDocument[] = [];
      let after: string | null = null;
      do {
        const page = await fetchSearchablePage(url, TEST_SECRET, { kind, after, limit });
        documents.push(...page.documents);
        after = page.next;
      } while (after);
      return documents;
    };
    const users = await all('USER', 2);
    const rows = await social.deps.db.dataSource.getRepository(UserEntity).find({ order: { id: 'ASC' } });
    expect(users.map((d) => d.id)).toEqual(rows.map((r) => r.id));
    expect(users).toEqual(rows.map((r) => userDoc(r).document));

    const visible = (
      await social.deps.db.dataSource.getRepository(PostEntity).findBy({ hidden: false })
    ).sort((a, b) => (a.id < b.id ? -1 : 1));
    const served = await all('POST', 1);
    expect(served).toEqual(visible.map((p) => postDoc(p).document));
    expect(served.map((d) => d.id)).toEqual(expect.arrayContaining([posts[0]!.id, posts[3]!.id]));
    expect(served.map((d) => d.id)).not.toContain(posts[1]!.id);
    expect(served.map((d) => d.id)).not.toContain(posts[2]!.id);
  });
});
