import { randomUUID } from 'node:crypto';
import { createReviewService, loadReviewEnv, type ReviewService } from '@moim/review';
import {
  createSocialService,
  loadSocialEnv,
  UserEntity,
  type SmsSender,
  type SocialService,
  type User,
} from '@moim/social';
import {
  createTestDatabase,
  dropRedisKeys,
  newTestRedisPrefix,
  TEST_JWT_SECRET,
  testServiceConfig,
  type TestDatabase,
} from '@moim/kit/testing';
import { createGateway, loadGatewayEnv, type Gateway } from '../src';

export interface SentSms {
  to: string;
  text: string;
}

export interface Graph {
  url: string;
  social: SocialService;
  review: ReviewService;
  gateway: Gateway;
  socialUrl: string;
  reviewUrl: string;
  sms: SentSms[];
  /** POSTs a GraphQL operation to the gateway. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GqlResult<T>>;
  signUp(
    nickname: string,
    password?: string,
  ): Promise<{ id: string; token: string; refreshToken: string; email: string }>;
  makeAdmin(userId: string): Promise<string>;
  stop(): Promise<void>;
}

export interface GqlResult<T> {
  status: number;
  data: T;
  errors?: Array<{ message: string; extensions?: { code?: string; field?: string } }>;
}

/**
 * The whole graph on free ports: social and review on fresh databases of the local MariaDB,
 * the real local Redis, and the gateway in front. `overrides` change the social config.
 */
export async function startGraph(overrides: { social?: Record<string, string> } = {}): Promise<Graph> {
  const dbs: TestDatabase[] = [await createTestDatabase('social'), await createTestDatabase('review')];
  const sms: SentSms[] = [];
  const smsSender: SmsSender = { send: async (to, text) => void sms.push({ to, text }) };
  const redisPrefix = newTestRedisPrefix();
  const env = (db: TestDatabase) => ({
    ...stringify(testServiceConfig(db.url, redisPrefix)),
    JWT_SECRET: TEST_JWT_SECRET,
  });
  const social = await createSocialService(loadSocialEnv({ ...env(dbs[0]!), ...overrides.social }), {
    sms: smsSender,
  });
  const review = await createReviewService(loadReviewEnv(env(dbs[1]!)));
  const socialUrl = `${await social.listen(0, '127.0.0.1')}/graphql`;
  const reviewUrl = `${await review.listen(0, '127.0.0.1')}/graphql`;
  const gateway = await createGateway(
    loadGatewayEnv({ ...env(dbs[0]!), SUBGRAPH_SOCIAL_URL: socialUrl, SUBGRAPH_REVIEW_URL: reviewUrl }),
  );
  const url = `${await gateway.listen(0, '127.0.0.1')}/graphql`;

  const gql: Graph['gql'] = async (query, variables, token) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, ...((await res.json()) as object) } as GqlResult<never>;
  };

  return {
    url,
    social,
    review,
    gateway,
    socialUrl,
    reviewUrl,
    sms,
    gql,
    async signUp(nickname, password = 'correct-horse-battery') {
      const email = `${nickname.toLowerCase()}@example.com`;
      const res = await gql<{ signUp: { accessToken: string; refreshToken: string; user: { id: string } } }>(
        'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id } } }',
        { input: { email, password, nickname } },
      );
      if (res.errors) throw new Error(`signUp failed: ${JSON.stringify(res.errors)}`);
      const p = res.data.signUp;
      return { id: p.user.id, token: p.accessToken, refreshToken: p.refreshToken, email };
    },
    async makeAdmin(userId) {
      await social.deps.db.dataSource.getRepository(UserEntity).update({ id: userId }, { role: 'ADMIN' });
      const user = await social.deps.db.dataSource.getRepository(UserEntity).findOneByOrFail({ id: userId });
      const res = await gql<{ logIn: { accessToken: string } }>(
        'mutation($input: LogInInput!) { logIn(input: $input) { accessToken } }',
        { input: { email: user.email, password: 'correct-horse-battery' } },
      );
      return res.data.logIn.accessToken;
    },
    async stop() {
      await gateway.stop();
      await Promise.all([social.stop(), review.stop()]);
      await Promise.all(dbs.map((db) => db.drop()));
      await dropRedisKeys(redisPrefix);
    },
  };
}

function stringify(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)]));
}

/** A user row as social stores it, for tests that write users straight to the database. */
export function userRow(nickname: string, createdAt = new Date()): User {
  return {
    id: randomUUID(),
    email: `${nickname.toLowerCase()}@example.com`,
    passwordHash: 'not-a-real-hash',
    nickname,
    bio: null,
    role: 'USER',
    phone: null,
    phoneVerifiedAt: null,
    createdAt,
    updatedAt: createdAt,
  };
}
