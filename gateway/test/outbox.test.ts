import { afterAll, beforeAll, expect, it } from 'vitest';
import { OutboxEvent } from '@moim/kit';
import {
  createTestDatabase,
  eventually,
  startTcpProxy,
  TEST_JWT_SECRET,
  testServiceConfig,
  dropRedisKeys,
  newTestRedisPrefix,
  type TcpProxy,
  type TestDatabase,
} from '@moim/kit/testing';
import { createReviewService, FollowEdgeEntity, loadReviewEnv, type ReviewService } from '@moim/review';
import { createSocialService, followUser, loadSocialEnv, UserEntity, type SocialService } from '@moim/social';
import { userRow } from './harness';

// social reaches Redis through a proxy this test can cut, as if Redis went down.
let proxy: TcpProxy;
let social: SocialService;
let review: ReviewService;
const dbs: TestDatabase[] = [];
const prefix = newTestRedisPrefix();

beforeAll(async () => {
  proxy = await startTcpProxy(6379);
  dbs.push(await createTestDatabase('social'), await createTestDatabase('review'));
  const env = (db: TestDatabase) => ({
    ...testServiceConfig(db.url, prefix),
    MIGRATE_ON_START: 'true',
    JWT_SECRET: TEST_JWT_SECRET,
  });
  social = await createSocialService(loadSocialEnv({ ...env(dbs[0]!), REDIS_URL: proxy.url('redis') }));
  review = await createReviewService(loadReviewEnv(env(dbs[1]!)));
});

afterAll(async () => {
  await social?.stop();
  await review?.stop();
  await proxy?.close();
  await Promise.all(dbs.map((db) => db.drop()));
  await dropRedisKeys(prefix);
});

async function user(nickname: string): Promise<string> {
  const row = userRow(nickname);
  await social.deps.db.dataSource.getRepository(UserEntity).insert(row);
  return row.id;
}

it('delivers follow.created once Redis is back, after it was down when the follow happened', async () => {
  const [a, b] = [await user('outbox_a'), await user('outbox_b')];
  const outbox = social.deps.db.dataSource.getRepository(OutboxEvent);
  const edges = review.deps.db.dataSource.getRepository(FollowEdgeEntity);

  await proxy.down();
  await followUser(social.deps, a, b); // the follow itself must not fail

  // A relay pass while Redis is away publishes nothing and keeps the event.
  await expect(social.deps.relay.publishPending()).resolves.toBe(0);
  const pending = await outbox.findOneByOrFail({ topic: 'follow.created' });
  expect(pending.publishedAt).toBeNull();
  expect(JSON.parse(pending.payload)).toEqual({ followerId: a, followeeId: b });
  expect(await edges.countBy({ followerId: a })).toBe(0);

  await proxy.up();
  const edge = await eventually(() => edges.findOneBy({ followerId: a, followeeId: b }), 20_000);
  expect(edge).toMatchObject({ active: true });
  expect((await outbox.findOneByOrFail({ id: pending.id })).publishedAt).not.toBeNull();
});
