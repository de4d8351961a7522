import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setPostHidden, type SocialDeps } from '@moim/social';
import { startGraph, type GqlResult, type Graph } from '../src';

let graph: Graph;
beforeAll(async () => {
  graph = await startGraph();
});
afterAll(() => graph?.stop());

const social = () => graph.service<SocialDeps>('social');
const repo = (entity: 'Post' | 'Target' | 'Scrap') => social().deps.db.dataSource.getRepository(entity);
/** A new account with a nickname of its own. */
/** A board key of its own, so lists read only this test's posts. */
const board = () => `b-${randomUUID().slice(0, 8)}`;

interface PostView {
  id: string;
  board: string;
  title: string;
  body: string;
  hidden: boolean;
  createdAt: string;
  updatedAt: string;
  author: { id: string; nickname: string };
  shareUrl: string;
}
const POST_FIELDS = 'id board title body hidden createdAt updatedAt author { id nickname } shareUrl';
const CREATE = `mutation($input: CreatePostInput!) { createPost(input: $input) { ${POST_FIELDS} } }`;
const READ = `query($id: ID!) { post(id: $id) { ${POST_FIELDS} } }`;
const BOARD = `query($board: String!, $first: Int, $after: String) {
  posts(board: $board, first: $first, after: $after) {
    edges { cursor node { id createdAt } } pageInfo { hasNextPage endCursor }
  }
}`;

type BoardPage = {
  posts: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
};

async function createPost(token: string, input: { board: string; title: string; body: string }) {
  const res = await graph.gql<{ createPost: PostView }>(CREATE, { input }, token);
  expect(res.errors).toBeUndefined();
  return res.data.createPost;
}

async function readPost(id: string, token?: string) {
  const res = await graph.gql<{ post: PostView | null }>(READ, { id }, token);
  expect(res.errors).toBeUndefined();
  return res.data.post;
}

async function boardIds(key: string, token?: string): Promise<string[]> {
  const res = await graph.gql<{ posts: { edges: Array<{ node: { id: string } }> } }>(
    BOARD,
    { board: key, first: 100 },
    token,
  );
  expect(res.errors).toBeUndefined();
  return res.data.posts.edges.map((e) => e.node.id);
}

const postCountBy = (authorId: string) => repo('Post').countBy({ authorId });

describe('posts', () => {
  it('creates a post with its target row, reads it by id, on its board and on the author’s page', async () => {
    const author = await graph.person('writer');
    const key = board();
    const post = await createPost(author.token, {
      board: `  ${key}  `,
      title: '  First day on campus ',
      body: 'Where is the library?',
    });
    expect(post).toMatchObject({
      board: key,
      title: 'First day on campus',
      body: 'Where is the library?',
      hidden: false,
      author: { id: author.id },
      shareUrl: `${social().deps.config.APP_LINK_BASE}/p/${post.id}`,
    });
    expect(post.updatedAt).toBe(post.createdAt);
    expect(await repo('Target').findOneBy({ id: post.id })).toMatchObject({
      kind: 'POST',
      authorId: author.id,
      state: 'VISIBLE',
    });

    const stranger = await graph.person('reader');
    expect(await readPost(post.id, stranger.token)).toEqual(post);
    expect(await readPost(post.id)).toEqual(post);
    expect(await boardIds(key)).toEqual([post.id]);
    const mine = await graph.gql<{
      me: { posts: { edges: Array<{ node: { id: string; title: string } }> } };
    }>('{ me { posts { edges { node { id title } } } } }', {}, author.token);
    expect(mine.data.me.posts.edges).toEqual([{ node: { id: post.id, title: 'First day on campus' } }]);
  });

  it('pages a board newest first, every post once, and leaves other boards out', async () => {
    const [a, b] = [await graph.person('pager'), await graph.person('pager')];
    const key = board();
    const created: PostView[] = [];
    for (let i = 0; i < 4; i++)
      for (const who of [a, b])
        created.push(await createPost(who.token, { board: key, title: `t${i}`, body: 'b' }));
    await createPost(a.token, { board: board(), title: 'elsewhere', body: 'b' });
    // Newest first by (createdAt, id), as the keyset orders them.
    const expected = [...created]
      .sort((x, y) => y.createdAt.localeCompare(x.createdAt) || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0))
      .map((p) => p.id);
    expect(expected[0]).toBe(created.at(-1)!.id);

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const res: GqlResult<BoardPage> = await graph.gql<BoardPage>(BOARD, { board: key, first: 3, after });
      expect(res.errors).toBeUndefined();
      seen.push(...res.data.posts.edges.map((e) => e.node.id));
      pages++;
      if (!res.data.posts.pageInfo.hasNextPage) break;
      after = res.data.posts.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
    expect(pages).toBe(3);
  });

  it('lets the author update and delete; another user is FORBIDDEN; an admin may delete', async () => {
    const author = await graph.person('owner');
    const other = await graph.person('intruder');
    const admin = await graph.makeAdmin((await graph.person('moderator')).id);
    const key = board();
    const post = await createPost(author.token, { board: key, title: 'Old title', body: 'Old body' });
    const UPDATE = `mutation($id: ID!, $input: UpdatePostInput!) { updatePost(id: $id, input: $input) { ${POST_FIELDS} } }`;
    const DELETE = 'mutation($id: ID!) { deletePost(id: $id) }';

    const denied = await graph.gql(UPDATE, { id: post.id, input: { title: 'Mine now' } }, other.token);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const notDeleted = await graph.gql(DELETE, { id: post.id }, other.token);
    expect(notDeleted.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await repo('Post').findOneBy({ id: post.id })).toMatchObject({
      title: 'Old title',
      body: 'Old body',
    });

    const updated = await graph.gql<{ updatePost: PostView }>(
      UPDATE,
      { id: post.id, input: { title: 'New title' } },
      author.token,
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data.updatePost).toMatchObject({ id: post.id, title: 'New title', body: 'Old body' });
    expect(updated.data.updatePost.updatedAt > post.updatedAt).toBe(true);
    expect(await readPost(post.id)).toMatchObject({ title: 'New title', body: 'Old body' });

    const missing = await graph.gql(UPDATE, { id: randomUUID(), input: { title: 'x' } }, author.token);
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const deleted = await graph.gql<{ deletePost: string }>(DELETE, { id: post.id }, author.token);
    expect(deleted.data.deletePost).toBe(post.id);
    expect(await readPost(post.id)).toBeNull();
    expect(await repo('Post').findOneBy({ id: post.id })).toBeNull();
    expect(await repo('Target').findOneBy({ id: post.id })).toMatchObject({ state: 'DELETED' });
    expect(await boardIds(key)).toEqual([]);
    const again = await graph.gql(DELETE, { id: post.id }, author.token);
    expect(again.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const second = await createPost(author.token, { board: key, title: 'Spam?', body: 'Maybe' });
    const byAdmin = await graph.gql<{ deletePost: string }>(DELETE, { id: second.id }, admin);
    expect(byAdmin.errors).toBeUndefined();
    expect(byAdmin.data.deletePost).toBe(second.id);
    expect(await repo('Post').findOneBy({ id: second.id })).toBeNull();
    expect(await repo('Target').findOneBy({ id: second.id })).toMatchObject({ state: 'DELETED' });
  });

  const bad: Array<[name: string, input: { board: string; title: string; body: string }, field: string]> = [
    ['an empty board key', { board: '', title: 'Hello', body: 'World' }, 'board'],
    ['a board key of spaces', { board: '   ', title: 'Hello', body: 'World' }, 'board'],
    ['a board key with a space inside', { board: 'my board', title: 'Hello', body: 'World' }, 'board'],
    ['an uppercase board key', { board: 'General', title: 'Hello', body: 'World' }, 'board'],
    ['a board key starting with -', { board: '-general', title: 'Hello', body: 'World' }, 'board'],
    ['a board key of 41 characters', { board: 'a'.repeat(41), title: 'Hello', body: 'World' }, 'board'],
    ['an empty title', { board: 'general', title: '  ', body: 'World' }, 'title'],
    ['a title of 101 characters', { board: 'general', title: 'x'.repeat(101), body: 'World' }, 'title'],
    ['an empty body', { board: 'general', title: 'Hello', body: '' }, 'body'],
    ['a body of 10,001 characters', { board: 'general', title: 'Hello', body: 'y'.repeat(10_001) }, 'body'],
  ];
  it.each(bad)('refuses %s with BAD_USER_INPUT on its field and writes nothing', async (_, input, field) => {
    const author = await graph.person('sloppy');
    const res = await graph.gql(CREATE, { input }, author.token);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await postCountBy(author.id)).toBe(0);
    expect(await repo('Target').countBy({ authorId: author.id })).toBe(0);
  });

  it('accepts the longest title, body and board key, and refuses a malformed board in posts(board)', async () => {
    const author = await graph.person('verbose');
    const post = await createPost(author.token, {
      board: `a${'-'.repeat(38)}z`,
      title: '가'.repeat(100),
      body: 'y'.repeat(10_000),
    });
    expect(post.title).toHaveLength(100);
    const res = await graph.gql(BOARD, { board: 'Not A Board' });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'board' });
  });

  it('needs a logged-in user to post', async () => {
    const res = await graph.gql(CREATE, { input: { board: 'general', title: 'Anon', body: 'Nope' } });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('shows a hidden post only to admins and its author, and leaves it out of lists for others', async () => {
    const author = await graph.person('hidden');
    const other = await graph.person('looker');
    const admin = await graph.makeAdmin((await graph.person('hider')).id);
    const key = board();
    const post = await createPost(author.token, { board: key, title: 'Rude', body: 'Words' });
    const hide = (hidden: boolean, id = post.id) =>
      social().deps.db.transaction((manager) => setPostHidden(manager, id, hidden));
    const scrap = (name: 'scrap' | 'unscrap') =>
      graph.gql<Record<string, { title?: string; body?: string } | null>>(
        `mutation($id: ID!) { ${name}(targetId: $id) { ... on Post { title body } } }`,
        { id: post.id },
        other.token,
      );
    expect((await scrap('scrap')).data.scrap).toEqual({ title: 'Rude', body: 'Words' });

    expect(await hide(true)).toBe(true);
    // Undoing a scrap of a post hidden since works, and shows nothing of the post.
    const undone = await scrap('unscrap');
    expect(undone.errors).toBeUndefined();
    expect(undone.data.unscrap).toBeNull();
    expect(await repo('Scrap').countBy({ userId: other.id, targetId: post.id })).toBe(0);
    expect(await hide(true, randomUUID())).toBe(false);
    expect(await repo('Target').findOneBy({ id: post.id })).toMatchObject({ state: 'HIDDEN' });

    expect(await readPost(post.id, other.token)).toBeNull();
    expect(await readPost(post.id)).toBeNull();
    expect(await boardIds(key, other.token)).toEqual([]);
    const theirPage = await graph.gql<{ user: { posts: { edges: unknown[] } } }>(
      'query($id: ID!) { user(id: $id) { posts { edges { node { id } } } } }',
      { id: author.id },
      other.token,
    );
    expect(theirPage.data.user.posts.edges).toEqual([]);
    const liked = await graph.gql(
      'mutation($id: ID!) { like(targetId: $id) { __typename } }',
      { id: post.id },
      other.token,
    );
    expect(liked.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    expect(await readPost(post.id, author.token)).toMatchObject({ id: post.id, hidden: true });
    expect(await readPost(post.id, admin)).toMatchObject({ id: post.id, hidden: true });
    expect(await boardIds(key, author.token)).toEqual([post.id]);
    expect(await boardIds(key, admin)).toEqual([post.id]);

    expect(await hide(false)).toBe(true);
    expect(await readPost(post.id, other.token)).toMatchObject({ id: post.id, hidden: false });
    expect(await boardIds(key, other.token)).toEqual([post.id]);
    expect(await repo('Target').findOneBy({ id: post.id })).toMatchObject({ state: 'VISIBLE' });
  });

  it('resolves share links of posts and reviews through sharedTarget, and nothing else', async () => {
    const author = await graph.person('sharer');
    const post = await createPost(author.token, { board: board(), title: 'Share me', body: 'Please' });
    const product = await graph.gql<{ createProduct: { id: string } }>(
      'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      { input: { name: 'Shared snack', category: 'snack' } },
      author.token,
    );
    const created = await graph.gql<{ createReview: { id: string } }>(
      'mutation($input: CreateReviewInput!) { createReview(input: $input) { id } }',
      { input: { kind: 'SOSOLOG', body: 'crunchy', rating: 4, productId: product.data.createProduct.id } },
      author.token,
    );
    const reviewId = created.data.createReview.id;
    await graph.settled();
    const review = await graph.gql<{ review: { shareUrl: string } }>(
      'query($id: ID!) { review(id: $id) { shareUrl } }',
      { id: reviewId },
    );
    const base = social().deps.config.APP_LINK_BASE;
    expect(review.data.review.shareUrl).toBe(`${base}/r/${reviewId}`);

    const SHARED = `query($url: String!) { sharedTarget(url: $url) {
      __typename ... on Post { id title } ... on Review { id body }
    } }`;
    const shared = async (url: string, token?: string) => {
      const res = await graph.gql<{ sharedTarget: unknown }>(SHARED, { url }, token);
      expect(res.errors).toBeUndefined();
      return res.data.sharedTarget;
    };
    expect(await shared(post.shareUrl)).toEqual({ __typename: 'Post', id: post.id, title: 'Share me' });
    expect(await shared(review.data.review.shareUrl)).toEqual({
      __typename: 'Review',
      id: reviewId,
      body: 'crunchy',
    });
    // Not ours, not a target, or the wrong kind: null, never an error.
    for (const url of [
      `https://example.com/p/${post.id}`,
      `${base}/x/${post.id}`,
      `${base}/r/${post.id}`,
      `${base}/p/${randomUUID()}`,
      `${base}/p/not-an-id`,
      'not a url at all',
    ])
      expect(await shared(url)).toBeNull();

    // A hidden post's link leads nowhere for others, still to its author.
    await social().deps.db.transaction((manager) => setPostHidden(manager, post.id, true));
    expect(await shared(post.shareUrl)).toBeNull();
    expect(await shared(post.shareUrl, author.token)).toMatchObject({ id: post.id });
  });

  it('limits posts per user: the 11th in the window is RATE_LIMITED with retryAfterSeconds and not written', async () => {
    const author = await graph.person('flooder');
    const key = board();
    for (let i = 0; i < 10; i++)
      await createPost(author.token, { board: key, title: `#${i}`, body: 'flood' });
    const res = await graph.gql(CREATE, { input: { board: key, title: '#10', body: 'flood' } }, author.token);
    expect(res.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    const retryAfter = res.errors?.[0]?.extensions?.retryAfterSeconds as number;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(await postCountBy(author.id)).toBe(10);
    // Another user is not held back.
    await createPost((await graph.person('calm')).token, { board: key, title: 'fine', body: 'fine' });
  });
});
