import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxEvent, recordEvent, type RunningService } from '@moim/kit';
import { MediaEntity, type MediaDeps } from '@moim/media';
import { MediaRefEntity as ReviewMediaRefs, ReviewEntity, ReviewImageEntity } from '@moim/review';
import { MediaRefEntity as SocialMediaRefs, PostImageEntity, UserEntity } from '@moim/social';
import { codeOf, ok, startGraph, type Account, type GqlResult, type Graph } from '../src';

// Images in the graph (docs/decisions/0009): uploads made through media, learnt by review and
// social from media.* events, attached to reviews, posts and avatars by id, resolved by media
// as references; attaching and detaching reach media as events, and media's cleanup job removes
// what was let go.
let graph: Graph;
let alice: Account;
let bob: Account;
let png: Buffer;

beforeAll(async () => {
  graph = await startGraph();
  [alice, bob] = [await graph.person('alice'), await graph.person('bob')];
  png = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#cc6633' } })
    .jpeg()
    .toBuffer();
});
afterAll(() => graph?.stop());

type Purpose = 'REVIEW' | 'POST' | 'AVATAR' | 'CHAT';

const media = () => graph.service<MediaDeps>('media');
const mediaRow = (id: string) => media().deps.db.dataSource.getRepository(MediaEntity).findOneBy({ id });
const reviewDb = () => graph.service('review').deps.db.dataSource;
const socialDb = () => graph.service('social').deps.db.dataSource;

/** Files media keeps for a media id: its original and its variants. */
function filesOf(id: string): string[] {
  const dir = media().deps.config.MEDIA_DIR;
  const uploads = join(dir, 'uploads');
  const variants = join(dir, 'media', id);
  return [
    ...(existsSync(uploads) ? readdirSync(uploads).filter((f) => f.startsWith(id)) : []),
    ...(existsSync(variants) ? readdirSync(variants).map((f) => `${id}/${f}`) : []),
  ];
}

/** An upload of `who`'s as an app makes it: createUpload, PUT the bytes, completeUpload. */
const upload = (who: Account, purpose: Purpose = 'REVIEW', bytes = png): Promise<string> =>
  graph.upload(who.token, bytes, { purpose });

/** Uploads, then lets review and social learn of them (media.created). */
async function uploads(who: Account, count: number, purpose: Purpose = 'REVIEW'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await upload(who, purpose));
  await graph.settled();
  return ids;
}

/**
 * A media of `who`'s that processing refused: what the resize worker does to bytes it refuses
 * (the media FAILED with a reason, media.failed in the same transaction), done here directly so
 * the case does not hang on any particular bad file.
 */
async function failedUpload(who: Account, purpose: Purpose = 'REVIEW'): Promise<string> {
  const id = await upload(who, purpose);
  await graph.settled();
  await media().deps.db.transaction(async (manager) => {
    await manager.update(
      MediaEntity,
      { id },
      { state: 'FAILED', failureReason: 'This file is not an image we can read' },
    );
    await recordEvent(manager, 'media.failed', { mediaId: id, ownerId: who.id });
  });
  await graph.settled();
  return id;
}

async function productId(token: string): Promise<string> {
  return ok(
    await graph.gql<{ createProduct: { id: string } }>(
      'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      { input: { name: `Snack ${randomUUID().slice(0, 8)}`, category: 'snack' } },
      token,
    ),
  ).createProduct.id;
}

const CREATE_REVIEW = `mutation($input: CreateReviewInput!) {
  createReview(input: $input) { id images { id } }
}`;
const createReview = async (who: Account, imageIds: string[] | undefined) =>
  graph.gql<{ createReview: { id: string; images: Array<{ id: string }> } }>(
    CREATE_REVIEW,
    {
      input: {
        kind: 'SOSOLOG',
        body: 'Crispy, with photos',
        rating: 5,
        productId: await productId(who.token),
        imageIds,
      },
    },
    who.token,
  );
const updateReview = (who: Account, id: string, input: Record<string, unknown>) =>
  graph.gql<{ updateReview: { id: string; images: Array<{ id: string }> } }>(
    'mutation($id: ID!, $input: UpdateReviewInput!) { updateReview(id: $id, input: $input) { id images { id } } }',
    { id, input },
    who.token,
  );
const reviewImages = async (id: string) =>
  ok(
    await graph.gql<{ review: { images: Array<{ id: string }> } }>(
      'query($id: ID!) { review(id: $id) { images { id } } }',
      { id },
    ),
  ).review.images.map((m) => m.id);

/** Outbox rows of attach and detach events a service recorded. */
async function mediaEvents(service: 'review' | 'social') {
  const rows = await graph
    .service(service)
    .deps.db.dataSource.getRepository(OutboxEvent)
    .find({ order: { seq: 'ASC' } });
  return rows
    .filter((r) => r.topic === 'media.attached' || r.topic === 'media.detached')
    .map((r) => ({ topic: r.topic, payload: JSON.parse(r.payload) as Record<string, unknown> }));
}

/** Runs media's cleanup job now, as its hourly schedule would, and waits for it. */
async function runCleanup() {
  await graph.settled();
  await graph.backend.backend.queues.add('media-cleanup', {
    name: 'clean-up',
    data: {},
    id: `test-cleanup-${randomUUID()}`,
    attempts: 1,
    backoff: { delayMs: 1000, maxDelayMs: 1000 },
  });
  await graph.settled();
}

/** A bad input for imageIds: BAD_USER_INPUT naming the field, with the message given. */
function expectRefused(res: GqlResult<unknown>, message: RegExp, field = 'imageIds') {
  expect(codeOf(res)).toBe('BAD_USER_INPUT');
  expect(res.errors![0]!.extensions!.field).toBe(field);
  expect(res.errors![0]!.message).toMatch(message);
}

describe('images on reviews', () => {
  it('attaches uploads in order, tells media, and the review lists them as media references', async () => {
    const [a, b] = await uploads(alice, 2);
    // review and social learnt of the uploads from media.created.
    const known = { ownerId: alice.id, purpose: 'REVIEW', state: 'ACTIVE', subject: null };
    for (const id of [a!, b!]) {
      expect(await reviewDb().getRepository(ReviewMediaRefs).findOneBy({ id })).toMatchObject(known);
      expect(await socialDb().getRepository(SocialMediaRefs).findOneBy({ id })).toMatchObject(known);
    }
    const created = ok(await createReview(alice, [b!, a!])).createReview;
    expect(created.images.map((m) => m.id)).toEqual([b, a]);
    await graph.settled();

    const res = ok(
      await graph.gql<{
        review: { images: Array<{ id: string; state: string; url: string | null }> };
      }>('query($id: ID!) { review(id: $id) { images { id state url(variant: THUMB, format: WEBP) } } }', {
        id: created.id,
      }),
    );
    expect(res.review.images.map((m) => m.id)).toEqual([b, a]);
    expect(res.review.images.every((m) => ['PROCESSING', 'READY'].includes(m.state))).toBe(true);
    // media marked them used.
    expect((await mediaRow(a!))!.attachedTo).toBe(`review:${created.id}`);
    expect((await mediaRow(b!))!.attachedTo).toBe(`review:${created.id}`);
    expect((await mediaEvents('review')).filter((e) => e.payload.subject === `review:${created.id}`)).toEqual(
      [
        {
          topic: 'media.attached',
          payload: { mediaIds: [b, a], ownerId: alice.id, subject: `review:${created.id}` },
        },
      ],
    );
  });

  it('serves the thumbnail of an attached image once media has processed it', async () => {
    const [id] = await uploads(alice, 1);
    const reviewId = ok(await createReview(alice, [id!])).createReview.id;
    await graph.settled();
    const res = ok(
      await graph.gql<{ review: { images: Array<{ id: string; state: string; url: string | null }> } }>(
        'query($id: ID!) { review(id: $id) { images { id state url(variant: THUMB, format: WEBP) } } }',
        { id: reviewId },
      ),
    );
    const [image] = res.review.images;
    expect(image).toMatchObject({ id, state: 'READY' });
    const served = await fetch(image!.url!);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/webp');
    const meta = await sharp(Buffer.from(await served.arrayBuffer())).metadata();
    expect(meta.format).toBe('webp');
    expect(Math.max(meta.width!, meta.height!)).toBe(320);
  });

  it('refuses bad imageIds with the field named and writes nothing', async () => {
    // Someone of their own: uploads per user are rate limited.
    const who = await graph.person('erin');
    const mine = await uploads(who, 11);
    const [bobs] = await uploads(bob, 1);
    const failed = await failedUpload(who);
    const [forPosts] = await uploads(who, 1, 'POST');
    const reviewsBefore = await reviewDb().getRepository(ReviewEntity).countBy({ authorId: who.id });
    const imagesBefore = await reviewDb().getRepository(ReviewImageEntity).count();
    const eventsBefore = (await mediaEvents('review')).length;

    expectRefused(await createReview(who, mine), /At most 10 images/);
    expectRefused(await createReview(who, [mine[0]!, bobs!]), /not your upload \(or not known yet\)/);
    expectRefused(await createReview(who, [failed]), /could not be processed/);
    expectRefused(await createReview(who, [randomUUID()]), /not your upload \(or not known yet\)/);
    expectRefused(await createReview(who, [forPosts!]), /uploaded for POST, not for a review/);
    expectRefused(await createReview(who, ['not-an-id']), /not a valid ID/);
    expectRefused(await createReview(who, [mine[0]!, mine[0]!]), /twice/);

    expect(await reviewDb().getRepository(ReviewEntity).countBy({ authorId: who.id })).toBe(reviewsBefore);
    expect(await reviewDb().getRepository(ReviewImageEntity).count()).toBe(imagesBefore);
    expect(await mediaEvents('review')).toHaveLength(eventsBefore);
    const refs = await reviewDb()
      .getRepository(ReviewMediaRefs)
      .findBy(mine.map((id) => ({ id })));
    expect(refs.every((r) => r.subject === null)).toBe(true);
    await graph.settled();
    expect((await mediaRow(mine[0]!))!.attachedTo).toBeNull();
    expect((await mediaRow(bobs!))!.attachedTo).toBeNull();
  });

  it('attaches an upload once: a second review cannot take it', async () => {
    const [id] = await uploads(alice, 1);
    ok(await createReview(alice, [id!]));
    expectRefused(await createReview(alice, [id!]), /attached elsewhere already/);
  });

  it('replaces the images on update, lets go of the dropped ones, and never takes them back', async () => {
    const [a, b, c] = await uploads(alice, 3);
    const reviewId = ok(await createReview(alice, [a!, b!])).createReview.id;
    const updated = ok(await updateReview(alice, reviewId, { imageIds: [c!, b!] })).updateReview;
    expect(updated.images.map((m) => m.id)).toEqual([c, b]);
    // Without imageIds the images stay.
    ok(await updateReview(alice, reviewId, { body: 'Edited, same photos' }));
    expect(await reviewImages(reviewId)).toEqual([c, b]);
    await graph.settled();
    expect(await mediaRow(a!)).toMatchObject({ attachedTo: `review:${reviewId}` });
    expect((await mediaRow(a!))!.detachedAt).toBeInstanceOf(Date);
    expect(await mediaRow(c!)).toMatchObject({ attachedTo: `review:${reviewId}`, detachedAt: null });
    expect(await mediaRow(b!)).toMatchObject({ attachedTo: `review:${reviewId}`, detachedAt: null });

    // A dropped image is on its way out: it cannot come back.
    expectRefused(await updateReview(alice, reviewId, { imageIds: [a!, c!, b!] }), /was removed/);
    expect(await reviewImages(reviewId)).toEqual([c, b]);
    // Someone else's edit is refused before any image is looked at.
    expect(codeOf(await updateReview(bob, reviewId, { imageIds: [] }))).toBe('FORBIDDEN');

    // An empty list removes them all.
    ok(await updateReview(alice, reviewId, { imageIds: [] }));
    expect(await reviewImages(reviewId)).toEqual([]);
  });

  it('lets go of the images of a deleted review, and the cleanup job removes their objects and rows', async () => {
    const [a, b] = await uploads(alice, 2);
    const reviewId = ok(await createReview(alice, [a!, b!])).createReview.id;
    await graph.settled();
    expect(filesOf(a!).length).toBeGreaterThan(0);
    // Not yet let go: the cleanup leaves attached media alone.
    await runCleanup();
    expect(await mediaRow(a!)).not.toBeNull();
    expect(filesOf(a!).length).toBeGreaterThan(0);

    ok(await graph.gql('mutation($id: ID!) { deleteReview(id: $id) }', { id: reviewId }, alice.token));
    await graph.settled();
    expect((await mediaRow(a!))!.detachedAt).toBeInstanceOf(Date);
    expect((await mediaRow(b!))!.detachedAt).toBeInstanceOf(Date);
    expect(await reviewDb().getRepository(ReviewImageEntity).countBy({ reviewId })).toBe(0);

    await runCleanup();
    expect(await mediaRow(a!)).toBeNull();
    expect(await mediaRow(b!)).toBeNull();
    expect(filesOf(a!)).toEqual([]);
    expect(filesOf(b!)).toEqual([]);
  });

  it('leaves out an attached image whose processing failed afterwards', async () => {
    const [a, b] = await uploads(alice, 2);
    const reviewId = ok(await createReview(alice, [a!, b!])).createReview.id;
    await graph.settled();
    await media().deps.db.transaction(async (manager) => {
      await manager.update(MediaEntity, { id: a }, { state: 'FAILED', failureReason: 'Not an image' });
      await recordEvent(manager, 'media.failed', { mediaId: a!, ownerId: alice.id });
    });
    await graph.settled();
    expect(await reviewImages(reviewId)).toEqual([b]);
  });

  it('resolves the images of a whole feed page in one _entities batch to media', async () => {
    const [a, b, c, d] = await uploads(alice, 4);
    await createReview(alice, [a!, b!]);
    await createReview(alice, [c!]);
    await createReview(alice, [d!]);
    await graph.settled();
    const before = { batches: await entityBatches(media()), sql: media().deps.db.queryCount() };
    const res = ok(
      await graph.gql<{ feed: { edges: Array<{ node: { images: Array<{ id: string; state: string }> } }> } }>(
        '{ feed(tab: LATEST, first: 3) { edges { node { id images { id state } } } } }',
      ),
    );
    expect(res.feed.edges.map((e) => e.node.images.map((m) => m.id))).toEqual([[d], [c], [a, b]]);
    expect((await entityBatches(media())) - before.batches).toBe(1);
    expect(media().deps.db.queryCount() - before.sql).toBe(1);
  });
});

describe('images on posts', () => {
  const CREATE_POST = `mutation($input: CreatePostInput!) { createPost(input: $input) { id images { id } } }`;
  const createPost = (who: Account, imageIds: string[]) =>
    graph.gql<{ createPost: { id: string; images: Array<{ id: string }> } }>(
      CREATE_POST,
      { input: { board: 'general', title: 'Photos', body: 'Look', imageIds } },
      who.token,
    );

  it('attaches, replaces and lets go of post images', async () => {
    const [a, b, c] = await uploads(alice, 3, 'POST');
    const post = ok(await createPost(alice, [a!, b!])).createPost;
    expect(post.images.map((m) => m.id)).toEqual([a, b]);
    const updated = ok(
      await graph.gql<{ updatePost: { images: Array<{ id: string }> } }>(
        'mutation($id: ID!, $input: UpdatePostInput!) { updatePost(id: $id, input: $input) { images { id } } }',
        { id: post.id, input: { imageIds: [c!, a!] } },
        alice.token,
      ),
    ).updatePost;
    expect(updated.images.map((m) => m.id)).toEqual([c, a]);
    await graph.settled();
    expect(await mediaRow(c!)).toMatchObject({ attachedTo: `post:${post.id}`, detachedAt: null });
    expect((await mediaRow(b!))!.detachedAt).toBeInstanceOf(Date);

    ok(await graph.gql('mutation($id: ID!) { deletePost(id: $id) }', { id: post.id }, alice.token));
    await graph.settled();
    expect((await mediaRow(a!))!.detachedAt).toBeInstanceOf(Date);
    expect((await mediaRow(c!))!.detachedAt).toBeInstanceOf(Date);
    expect(await socialDb().getRepository(PostImageEntity).countBy({ postId: post.id })).toBe(0);
  });

  it('refuses bad imageIds on a post and writes nothing', async () => {
    // Someone of their own: uploads per user are rate limited.
    const who = await graph.person('frank');
    const mine = await uploads(who, 11, 'POST');
    const [bobs] = await uploads(bob, 1, 'POST');
    const failed = await failedUpload(who, 'POST');
    const [forReviews] = await uploads(who, 1, 'REVIEW');
    const imagesBefore = await socialDb().getRepository(PostImageEntity).count();
    const posts = () => socialDb().getRepository('Post').countBy({ authorId: who.id });
    const postsBefore = await posts();
    expectRefused(await createPost(who, mine), /At most 10 images/);
    expectRefused(await createPost(who, [bobs!]), /not your upload \(or not known yet\)/);
    expectRefused(await createPost(who, [failed]), /could not be processed/);
    expectRefused(await createPost(who, [randomUUID()]), /not your upload \(or not known yet\)/);
    expectRefused(await createPost(who, [forReviews!]), /uploaded for REVIEW, not for a post/);
    expect(await socialDb().getRepository(PostImageEntity).count()).toBe(imagesBefore);
    expect(await posts()).toBe(postsBefore);
    expect(await mediaEvents('social')).not.toContainEqual(
      expect.objectContaining({ payload: expect.objectContaining({ mediaIds: [mine[0]] }) }),
    );
  });
});

describe('avatars', () => {
  const UPDATE = `mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id avatar { id } } }`;
  const setAvatar = (who: Account, avatarId: string | null) =>
    graph.gql<{ updateProfile: { avatar: { id: string } | null } }>(
      UPDATE,
      { input: { avatarId } },
      who.token,
    );
  const avatarOf = async (userId: string) =>
    ok(
      await graph.gql<{ user: { avatar: { id: string } | null } }>(
        'query($id: ID!) { user(id: $id) { avatar { id } } }',
        {
          id: userId,
        },
      ),
    ).user.avatar;

  it('sets, replaces and clears the picture, letting go of each one it replaces', async () => {
    const carol = await graph.person('carol');
    const [first, second] = await uploads(carol, 2, 'AVATAR');
    expect(ok(await setAvatar(carol, first!)).updateProfile.avatar).toEqual({ id: first });
    expect(await avatarOf(carol.id)).toEqual({ id: first });
    await graph.settled();
    expect(await mediaRow(first!)).toMatchObject({ attachedTo: `avatar:${carol.id}`, detachedAt: null });

    // Other profile changes leave it.
    ok(await graph.gql(UPDATE, { input: { bio: 'Photos of snacks' } }, carol.token));
    expect(await avatarOf(carol.id)).toEqual({ id: first });

    expect(ok(await setAvatar(carol, second!)).updateProfile.avatar).toEqual({ id: second });
    await graph.settled();
    expect((await mediaRow(first!))!.detachedAt).toBeInstanceOf(Date);

    expect(ok(await setAvatar(carol, null)).updateProfile.avatar).toBeNull();
    expect(await avatarOf(carol.id)).toBeNull();
    await graph.settled();
    expect((await mediaRow(second!))!.detachedAt).toBeInstanceOf(Date);
    expect(await socialDb().getRepository(UserEntity).findOneByOrFail({ id: carol.id })).toMatchObject({
      avatarId: null,
    });
  });

  it('refuses a picture that is not one of the caller’s avatar uploads', async () => {
    const dave = await graph.person('dave');
    const [forReviews] = await uploads(dave, 1, 'REVIEW');
    const [bobs] = await uploads(bob, 1, 'AVATAR');
    expectRefused(await setAvatar(dave, forReviews!), /uploaded for REVIEW/, 'avatarId');
    expectRefused(await setAvatar(dave, bobs!), /not your upload/, 'avatarId');
    expectRefused(await setAvatar(dave, 'nope'), /not a valid ID/, 'avatarId');
    expect(await avatarOf(dave.id)).toBeNull();
  });
});

/** `_entities` operations a subgraph has served: the batches the gateway asked it for. */
async function entityBatches(service: RunningService): Promise<number> {
  const { values } = await service.metrics.rootFields.get();
  return values.find((v) => v.labels.field === '_entities')?.value ?? 0;
}
