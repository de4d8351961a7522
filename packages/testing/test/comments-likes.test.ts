import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SocialDeps } from '@moim/social';
import { startGraph, type Graph } from '../src';

let graph: Graph;
beforeAll(async () => {
  graph = await startGraph();
});
afterAll(() => graph?.stop());

type Account = Awaited<ReturnType<Graph['signUp']>>;
const social = () => graph.service<SocialDeps>('social');
const repo = (entity: 'Like' | 'Scrap' | 'Comment' | 'Block' | 'Target') =>
  social().deps.db.dataSource.getRepository(entity);

async function postBy(author: Account, title = 'A post'): Promise<string> {
  const res = await graph.gql<{ createPost: { id: string } }>(
    'mutation($input: CreatePostInput!) { createPost(input: $input) { id } }',
    { input: { board: 'general', title, body: 'Some words' } },
    author.token,
  );
  expect(res.errors).toBeUndefined();
  return res.data.createPost.id;
}

const REACT = (name: string) =>
  `mutation($id: ID!) { ${name}(targetId: $id) { __typename ... on Review { id likeCount viewerHasLiked viewerHasScrapped } ... on Post { id likeCount viewerHasLiked viewerHasScrapped } } }`;
const react = (name: 'like' | 'unlike' | 'scrap' | 'unscrap', id: string, token: string) =>
  graph.gql<
    Record<
      string,
      {
        __typename: string;
        id: string;
        likeCount: number;
        viewerHasLiked: boolean;
        viewerHasScrapped: boolean;
      }
    >
  >(REACT(name), { id }, token);

const COMMENT_FIELDS = 'id body deleted editedAt createdAt author { id nickname } replyCount';
const ADD = `mutation($target: ID!, $body: String!, $parent: ID) {
  addComment(targetId: $target, body: $body, parentId: $parent) {
    ${COMMENT_FIELDS} target { __typename ... on Review { id } ... on Post { id title } } parent { id }
  }
}`;
interface CommentView {
  id: string;
  body: string | null;
  deleted: boolean;
  editedAt: string | null;
  createdAt: string;
  author: { id: string; nickname: string } | null;
  replyCount: number;
}

async function comment(author: Account, target: string, body: string, parent?: string) {
  const res = await graph.gql<{ addComment: CommentView & { target: { id: string } } }>(
    ADD,
    { target, body, parent },
    author.token,
  );
  expect(res.errors).toBeUndefined();
  return res.data.addComment;
}

const THREAD = `query($id: ID!, $first: Int, $after: String) { review(id: $id) { commentCount
  comments(first: $first, after: $after) {
    edges { node { ${COMMENT_FIELDS} replies(first: 10) { edges { node { id body author { id } } } } } }
    pageInfo { hasNextPage endCursor }
  }
} }`;
type Thread = {
  commentCount: number;
  comments: {
    edges: Array<{
      node: CommentView & { replies: { edges: Array<{ node: { id: string; body: string } }> } };
    }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};
async function thread(reviewId: string, token?: string): Promise<Thread> {
  const res = await graph.gql<{ review: Thread }>(THREAD, { id: reviewId, first: 50 }, token);
  expect(res.errors).toBeUndefined();
  return res.data.review;
}

/**
 * Ids newest first as the lists order them: by (createdAt, id) descending. Comments made one after
 * another usually differ in createdAt; the id breaks a tie within a millisecond.
 */
const newestFirst = (...comments: Array<{ id: string; createdAt: string }>) =>
  [...comments]
    .sort((x, y) => y.createdAt.localeCompare(x.createdAt) || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0))
    .map((c) => c.id);

const likesOf = (targetId: string) => repo('Like').countBy({ targetId });
const commentsBy = (authorId: string) => repo('Comment').countBy({ authorId });

describe('likes and scraps', () => {
  it('likes once however often asked; unlike is idempotent too', async () => {
    const [a, b] = [await graph.person('liker'), await graph.person('liked')];
    const reviewId = await graph.reviewBy(b.token);

    const first = await react('like', reviewId, a.token);
    expect(first.errors).toBeUndefined();
    expect(first.data.like).toEqual({
      __typename: 'Review',
      id: reviewId,
      likeCount: 1,
      viewerHasLiked: true,
      viewerHasScrapped: false,
    });
    const second = await react('like', reviewId, a.token);
    expect(second.errors).toBeUndefined();
    expect(second.data.like).toMatchObject({ likeCount: 1, viewerHasLiked: true });
    expect(await likesOf(reviewId)).toBe(1);

    // Seen by its author: one like, not theirs.
    const seen = await graph.gql<{ review: { likeCount: number; viewerHasLiked: boolean } }>(
      'query($id: ID!) { review(id: $id) { likeCount viewerHasLiked } }',
      { id: reviewId },
      b.token,
    );
    expect(seen.data.review).toEqual({ likeCount: 1, viewerHasLiked: false });

    for (let i = 0; i < 2; i++) {
      const gone = await react('unlike', reviewId, a.token);
      expect(gone.errors).toBeUndefined();
      expect(gone.data.unlike).toMatchObject({ id: reviewId, likeCount: 0, viewerHasLiked: false });
    }
    expect(await likesOf(reviewId)).toBe(0);
  });

  it('likes and scraps posts as well', async () => {
    const [a, b] = [await graph.person('fan'), await graph.person('poster')];
    const postId = await postBy(b);
    expect((await react('like', postId, a.token)).data.like).toEqual({
      __typename: 'Post',
      id: postId,
      likeCount: 1,
      viewerHasLiked: true,
      viewerHasScrapped: false,
    });
    expect((await react('scrap', postId, a.token)).data.scrap).toMatchObject({ viewerHasScrapped: true });
    expect((await react('scrap', postId, a.token)).data.scrap).toMatchObject({ viewerHasScrapped: true });
    expect(await repo('Scrap').countBy({ targetId: postId })).toBe(1);
    expect((await react('unscrap', postId, a.token)).data.unscrap).toMatchObject({
      viewerHasScrapped: false,
    });
    expect(await repo('Scrap').countBy({ targetId: postId })).toBe(0);
  });

  it('refuses a missing target with NOT_FOUND and a malformed id with BAD_USER_INPUT, writing nothing', async () => {
    const a = await graph.person('misser');
    for (const name of ['like', 'scrap', 'unlike', 'unscrap'] as const) {
      const missing = await react(name, randomUUID(), a.token);
      expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const malformed = await react(name, 'not-an-id', a.token);
      expect(malformed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'targetId' });
    }
    expect(await repo('Like').countBy({ userId: a.id })).toBe(0);
    expect(await repo('Scrap').countBy({ userId: a.id })).toBe(0);
    const anonymous = await graph.gql(REACT('like'), { id: randomUUID() });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('lists my scraps newest first as the reviews and posts themselves; nobody else’s', async () => {
    const [a, b] = [await graph.person('scrapper'), await graph.person('scrapped')];
    const reviewId = await graph.reviewBy(b.token, 'worth keeping');
    const postId = await postBy(b, 'Keep this');
    const otherPost = await postBy(b, 'And this');
    for (const id of [reviewId, postId, otherPost])
      expect((await react('scrap', id, a.token)).errors).toBeUndefined();
    const SCRAPS = `query($first: Int, $after: String) { me { scraps(first: $first, after: $after) {
      edges { scrappedAt node { __typename ... on Review { id body } ... on Post { id title } } }
      pageInfo { hasNextPage endCursor }
    } } }`;
    type Scraps = {
      me: {
        scraps: {
          edges: Array<{ scrappedAt: string; node: { __typename: string; id: string } }>;
          pageInfo: { hasNextPage: boolean; endCursor: string };
        };
      };
    };
    const all = await graph.gql<Scraps>(SCRAPS, { first: 10 }, a.token);
    expect(all.errors).toBeUndefined();
    const nodes = all.data.me.scraps.edges.map((e) => e.node);
    expect(new Set(nodes.map((n) => n.id))).toEqual(new Set([reviewId, postId, otherPost]));
    expect(nodes).toContainEqual({ __typename: 'Review', id: reviewId, body: 'worth keeping' });
    expect(nodes).toContainEqual({ __typename: 'Post', id: postId, title: 'Keep this' });
    const times = all.data.me.scraps.edges.map((e) => e.scrappedAt);
    expect([...times].sort().reverse()).toEqual(times);

    // Paged: two, then one, the same order.
    const page1 = await graph.gql<Scraps>(SCRAPS, { first: 2 }, a.token);
    expect(page1.data.me.scraps.pageInfo.hasNextPage).toBe(true);
    const page2 = await graph.gql<Scraps>(
      SCRAPS,
      { first: 2, after: page1.data.me.scraps.pageInfo.endCursor },
      a.token,
    );
    expect(page2.data.me.scraps.pageInfo.hasNextPage).toBe(false);
    expect([...page1.data.me.scraps.edges, ...page2.data.me.scraps.edges].map((e) => e.node.id)).toEqual(
      nodes.map((n) => n.id),
    );

    // A deleted post drops out.
    await graph.gql('mutation($id: ID!) { deletePost(id: $id) }', { id: otherPost }, b.token);
    const after = await graph.gql<Scraps>(SCRAPS, { first: 10 }, a.token);
    expect(after.data.me.scraps.edges.map((e) => e.node.id).sort()).toEqual([reviewId, postId].sort());

    const theirs = await graph.gql<{ user: { scraps: unknown; comments: unknown } }>(
      'query($id: ID!) { user(id: $id) { scraps { edges { scrappedAt } } comments { edges { node { id } } } } }',
      { id: a.id },
      b.token,
    );
    expect(theirs.errors).toBeUndefined();
    expect(theirs.data.user).toEqual({ scraps: null, comments: null });
  });

  it('refuses to like or comment on a review an admin hid, writing nothing', async () => {
    const [a, b] = [await graph.person('late'), await graph.person('hidee')];
    const admin = await graph.makeAdmin((await graph.person('mod')).id);
    const reviewId = await graph.reviewBy(b.token, 'soon hidden');
    const hidden = await graph.gql(
      'mutation($id: ID!) { hideReview(id: $id) { id } }',
      { id: reviewId },
      admin,
    );
    expect(hidden.errors).toBeUndefined();
    await graph.settled();

    expect((await react('like', reviewId, a.token)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await react('scrap', reviewId, a.token)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const commented = await graph.gql(ADD, { target: reviewId, body: 'too late' }, a.token);
    expect(commented.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await likesOf(reviewId)).toBe(0);
    expect(await repo('Comment').countBy({ targetId: reviewId })).toBe(0);
  });

  it('keeps a review its author edits while deleting or an admin hides it out of reach, whatever wins', async () => {
    const b = await graph.person('racer');
    const a = await graph.person('fan');
    const admin = await graph.makeAdmin((await graph.person('racemod')).id);
    const edit = (id: string) =>
      graph.gql(
        'mutation($id: ID!) { updateReview(id: $id, input: { body: "edited" }) { id } }',
        { id },
        b.token,
      );
    const deleted = await Promise.all([0, 1, 2, 3].map(() => graph.reviewBy(b.token, 'to delete')));
    const hidden = await Promise.all([0, 1, 2, 3].map(() => graph.reviewBy(b.token, 'to hide')));
    await Promise.all([
      ...deleted.flatMap((id) => [
        edit(id),
        graph.gql('mutation($id: ID!) { deleteReview(id: $id) }', { id }, b.token),
      ]),
      ...hidden.flatMap((id) => [
        edit(id),
        graph.gql('mutation($id: ID!) { hideReview(id: $id) { id } }', { id }, admin),
      ]),
    ]);
    await graph.settled();
    const states = async (ids: string[]) =>
      (await Promise.all(ids.map((id) => repo('Target').findOneByOrFail({ id })))).map((t) => t.state);
    expect(await states(deleted)).toEqual(['DELETED', 'DELETED', 'DELETED', 'DELETED']);
    expect(await states(hidden)).toEqual(['HIDDEN', 'HIDDEN', 'HIDDEN', 'HIDDEN']);
    for (const id of [...deleted, ...hidden])
      expect((await react('like', id, a.token)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('comments', () => {
  it('comments on a review and on a post; the lists show them newest first with their authors', async () => {
    const [a, b] = [await graph.person('talker'), await graph.person('talkedto')];
    const reviewId = await graph.reviewBy(b.token);
    const postId = await postBy(b, 'Discuss');

    const first = await comment(a, reviewId, '  Looks tasty  ');
    expect(first).toMatchObject({
      body: 'Looks tasty',
      deleted: false,
      editedAt: null,
      author: { id: a.id },
      replyCount: 0,
      target: { __typename: 'Review', id: reviewId },
      parent: null,
    });
    const second = await comment(b, reviewId, 'It was');
    const onPost = await comment(a, postId, 'Agreed');
    expect(onPost.target).toEqual({ __typename: 'Post', id: postId, title: 'Discuss' });

    const t = await thread(reviewId);
    expect(t.commentCount).toBe(2);
    expect(t.comments.edges.map((e) => e.node.id)).toEqual(newestFirst(second, first));
    const post = await graph.gql<{
      post: { commentCount: number; comments: { edges: Array<{ node: { body: string } }> } };
    }>('query($id: ID!) { post(id: $id) { commentCount comments { edges { node { body } } } } }', {
      id: postId,
    });
    expect(post.data.post).toEqual({ commentCount: 1, comments: { edges: [{ node: { body: 'Agreed' } }] } });

    // My own comments, newest first; nobody else sees them.
    const mine = await graph.gql<{ me: { comments: { edges: Array<{ node: { id: string } }> } } }>(
      '{ me { comments { edges { node { id } } } } }',
      {},
      a.token,
    );
    expect(mine.data.me.comments.edges.map((e) => e.node.id)).toEqual(newestFirst(onPost, first));
  });

  it('refuses an empty comment, one over 1,000 characters and a reply to a reply, writing nothing', async () => {
    const [a, b] = [await graph.person('picky'), await graph.person('host')];
    const reviewId = await graph.reviewBy(b.token);
    const otherReview = await graph.reviewBy(b.token);
    const top = await comment(b, reviewId, 'top');
    const reply = await comment(b, reviewId, 'reply', top.id);
    const elsewhere = await comment(b, otherReview, 'elsewhere');

    const cases: Array<[string, Record<string, unknown>, string, string]> = [
      ['empty', { target: reviewId, body: '' }, 'BAD_USER_INPUT', 'body'],
      ['spaces', { target: reviewId, body: '   \n ' }, 'BAD_USER_INPUT', 'body'],
      ['too long', { target: reviewId, body: '가'.repeat(1001) }, 'BAD_USER_INPUT', 'body'],
      [
        'reply to a reply',
        { target: reviewId, body: 'deep', parent: reply.id },
        'BAD_USER_INPUT',
        'parentId',
      ],
      [
        'parent on another target',
        { target: reviewId, body: 'x', parent: elsewhere.id },
        'BAD_USER_INPUT',
        'parentId',
      ],
      ['malformed parent', { target: reviewId, body: 'x', parent: 'nope' }, 'BAD_USER_INPUT', 'parentId'],
      ['malformed target', { target: 'nope', body: 'x' }, 'BAD_USER_INPUT', 'targetId'],
    ];
    for (const [name, variables, code, field] of cases) {
      const res = await graph.gql(ADD, variables, a.token);
      expect(res.errors?.[0]?.extensions, name).toMatchObject({ code, field });
    }
    const missing = await graph.gql(ADD, { target: randomUUID(), body: 'x' }, a.token);
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const missingParent = await graph.gql(
      ADD,
      { target: reviewId, body: 'x', parent: randomUUID() },
      a.token,
    );
    expect(missingParent.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await commentsBy(a.id)).toBe(0);

    // The longest comment is fine.
    expect((await comment(a, reviewId, '가'.repeat(1000))).body).toHaveLength(1000);
  });

  it('keeps a deleted comment with replies as a placeholder, removes one without, and the placeholder with its last reply', async () => {
    const [a, b, c] = [
      await graph.person('thread'),
      await graph.person('owner'),
      await graph.person('replier'),
    ];
    const reviewId = await graph.reviewBy(b.token);
    const lonely = await comment(a, reviewId, 'nobody answers');
    const top = await comment(a, reviewId, 'question');
    const r1 = await comment(c, reviewId, 'answer 1', top.id);
    const r2 = await comment(b, reviewId, 'answer 2', top.id);
    expect((await thread(reviewId)).commentCount).toBe(4);

    const DELETE = 'mutation($id: ID!) { deleteComment(id: $id) }';
    const del = async (id: string, who: Account) => {
      const res = await graph.gql<{ deleteComment: string }>(DELETE, { id }, who.token);
      expect(res.errors).toBeUndefined();
      expect(res.data.deleteComment).toBe(id);
    };
    await del(lonely.id, a);
    expect(await repo('Comment').findOneBy({ id: lonely.id })).toBeNull();

    await del(top.id, a);
    const t = await thread(reviewId);
    expect(t.commentCount).toBe(2);
    expect(t.comments.edges).toHaveLength(1);
    const placeholder = t.comments.edges[0]!.node;
    expect(placeholder).toMatchObject({ id: top.id, body: null, author: null, deleted: true, replyCount: 2 });
    expect(placeholder.replies.edges.map((e) => e.node.id)).toEqual(newestFirst(r1, r2));
    expect(await repo('Comment').findOneBy({ id: top.id })).toMatchObject({ body: null });
    // Deleted is deleted: no reply to it, no second delete, no edit.
    const replied = await graph.gql(ADD, { target: reviewId, body: 'late', parent: top.id }, c.token);
    expect(replied.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'parentId' });
    expect((await graph.gql(DELETE, { id: top.id }, a.token)).errors?.[0]?.extensions?.code).toBe(
      'NOT_FOUND',
    );

    await del(r1.id, c);
    expect((await thread(reviewId)).comments.edges[0]!.node.replyCount).toBe(1);
    await del(r2.id, b);
    expect(await repo('Comment').countBy({ targetId: reviewId })).toBe(0);
    expect(await thread(reviewId)).toMatchObject({ commentCount: 0, comments: { edges: [] } });
  });

  it('lets its author, the target’s author or an admin delete; anyone else is FORBIDDEN; only its author edits', async () => {
    const [a, b, other] = [
      await graph.person('says'),
      await graph.person('hears'),
      await graph.person('meddler'),
    ];
    const admin = await graph.makeAdmin((await graph.person('janitor')).id);
    const reviewId = await graph.reviewBy(b.token);
    const [byAuthor, byOwner, byAdmin] = [
      await comment(a, reviewId, 'one'),
      await comment(a, reviewId, 'two'),
      await comment(a, reviewId, 'three'),
    ];
    const DELETE = 'mutation($id: ID!) { deleteComment(id: $id) }';
    const EDIT =
      'mutation($id: ID!, $body: String!) { editComment(id: $id, body: $body) { id body editedAt } }';

    const denied = await graph.gql(DELETE, { id: byAuthor.id }, other.token);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await repo('Comment').findOneBy({ id: byAuthor.id })).not.toBeNull();

    for (const who of [other.token, b.token, admin]) {
      const edit = await graph.gql(EDIT, { id: byAuthor.id, body: 'hijacked' }, who);
      expect(edit.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const badEdit = await graph.gql(EDIT, { id: byAuthor.id, body: ' ' }, a.token);
    expect(badEdit.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    expect(await repo('Comment').findOneBy({ id: byAuthor.id })).toMatchObject({
      body: 'one',
      editedAt: null,
    });
    const edited = await graph.gql<{ editComment: { id: string; body: string; editedAt: string | null } }>(
      EDIT,
      { id: byAuthor.id, body: ' one, edited ' },
      a.token,
    );
    expect(edited.errors).toBeUndefined();
    expect(edited.data.editComment.body).toBe('one, edited');
    expect(edited.data.editComment.editedAt).not.toBeNull();

    for (const [c, token] of [
      [byAuthor, a.token],
      [byOwner, b.token],
      [byAdmin, admin],
    ] as const) {
      const res = await graph.gql(DELETE, { id: c.id }, token);
      expect(res.errors).toBeUndefined();
      expect(await repo('Comment').findOneBy({ id: c.id })).toBeNull();
    }
  });

  it('pages top-level comments and replies newest first, each once, with counts', async () => {
    const [a, b] = [await graph.person('chatty'), await graph.person('chatted')];
    const reviewId = await graph.reviewBy(b.token);
    const tops: CommentView[] = [];
    for (let i = 0; i < 5; i++) tops.push(await comment(a, reviewId, `top ${i}`));
    const replies: CommentView[] = [];
    for (let i = 0; i < 5; i++) replies.push(await comment(b, reviewId, `reply ${i}`, tops[0]!.id));

    const seen: string[] = [];
    let after: string | null = null;
    do {
      const res: { data: { review: Thread } } = await graph.gql<{ review: Thread }>(THREAD, {
        id: reviewId,
        first: 2,
        after,
      });
      seen.push(...res.data.review.comments.edges.map((e) => e.node.id));
      after = res.data.review.comments.pageInfo.hasNextPage
        ? res.data.review.comments.pageInfo.endCursor
        : null;
    } while (after);
    expect(seen).toEqual(newestFirst(...tops));

    const REPLIES = `query($id: ID!, $after: String) { review(id: $id) { commentCount comments(first: 10) { edges { node { id replyCount
      replies(first: 2, after: $after) { edges { node { id parent { id } } } pageInfo { hasNextPage endCursor } }
    } } } } }`;
    type Replies = {
      review: {
        commentCount: number;
        comments: {
          edges: Array<{
            node: {
              id: string;
              replyCount: number;
              replies: {
                edges: Array<{ node: { id: string; parent: { id: string } } }>;
                pageInfo: { hasNextPage: boolean; endCursor: string | null };
              };
            };
          }>;
        };
      };
    };
    const got: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { data: Replies } = await graph.gql<Replies>(REPLIES, { id: reviewId, after: cursor });
      expect(res.data.review.commentCount).toBe(10);
      const first = res.data.review.comments.edges.find((e) => e.node.id === tops[0]!.id)!.node;
      expect(first.replyCount).toBe(5);
      expect(first.replies.edges.every((e) => e.node.parent.id === tops[0]!.id)).toBe(true);
      for (const e of res.data.review.comments.edges)
        if (e.node.id !== tops[0]!.id)
          expect(e.node).toMatchObject({ replyCount: 0, replies: { edges: [] } });
      got.push(...first.replies.edges.map((e) => e.node.id));
      cursor = first.replies.pageInfo.hasNextPage ? first.replies.pageInfo.endCursor : null;
    } while (cursor);
    expect(got).toEqual(newestFirst(...replies));
  });

  it('leaves out comments by people the viewer blocks, and refuses a reply under a comment whose author blocks the caller', async () => {
    const [a, b, owner] = [
      await graph.person('blocker'),
      await graph.person('blocked'),
      await graph.person('venue'),
    ];
    const reviewId = await graph.reviewBy(owner.token);
    const byA = await comment(a, reviewId, 'from a');
    const byB = await comment(b, reviewId, 'from b');
    await repo('Block').insert({ blockerId: a.id, blockedId: b.id, createdAt: new Date() });

    expect((await thread(reviewId, a.token)).comments.edges.map((e) => e.node.id)).toEqual([byA.id]);
    expect((await thread(reviewId, owner.token)).comments.edges.map((e) => e.node.id)).toEqual([
      byB.id,
      byA.id,
    ]);
    const reply = await graph.gql(ADD, { target: reviewId, body: 'hey', parent: byA.id }, b.token);
    expect(reply.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await commentsBy(b.id)).toBe(1);
  });

  it('limits comments per user: the 31st in the window is RATE_LIMITED and not written', async () => {
    const [a, b] = [await graph.person('spammer'), await graph.person('spammed')];
    const postId = await postBy(b);
    for (let i = 0; i < 30; i++) await comment(a, postId, `#${i}`);
    const res = await graph.gql(ADD, { target: postId, body: '#30' }, a.token);
    expect(res.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(res.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    expect(await commentsBy(a.id)).toBe(30);
  });
});
