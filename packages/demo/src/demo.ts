import type { Role } from '@moim/kit';
import { loadNsmcSample, toStars } from './nsmc';
import { demoPosts, type DemoPost } from './posts';

export const DEMO_LOGIN = { email: 'demo@moim.dev', password: 'moim-demo-1234' };
export const ADMIN_LOGIN = { email: 'admin@moim.dev', password: 'moim-admin-1234' };

/** Reviews longer than this become long-form (DADALOG) posts with a title. */
const LONG_FORM_AT = 80;

export interface DemoUser {
  key: string;
  email: string;
  nickname: string;
  role: Role;
  password: string;
}

export interface DemoProduct {
  key: string;
  name: string;
  category: string;
  /** The key of the user who added it. */
  ownerKey: string;
}

export interface DemoPlace {
  key: string;
  name: string;
  address: string;
  category: string;
  ownerKey: string;
}

export interface DemoReview {
  authorKey: string;
  productKey: string;
  kind: 'DADALOG' | 'SOSOLOG';
  title: string | null;
  body: string;
  rating: number;
  at: Date;
}

/**
 * The demo dataset, in the words of no service in particular: each service's `seed` takes the part
 * it owns, through its own domain functions, and records the ids it assigned in `ids` (by key) for
 * the services after it in the list.
 */
export interface DemoData {
  users: DemoUser[];
  /** Who follows whom, by user key: the demo user follows the ten most prolific reviewers. */
  follows: Array<{ followerKey: string; followeeKey: string }>;
  /** Places in Seoul, named as people write them (search's initial-consonant demo: ㅅㅌㅂㅅ). */
  places: DemoPlace[];
  products: DemoProduct[];
  reviews: DemoReview[];
  /** Board posts with their comments and likes, by user key. */
  posts: DemoPost[];
  ids: Map<string, string>;
}

/**
 * Built from the committed NSMC sample: one user per reviewer, one product per movie, their
 * reviews with the original dates (ratings 1–10 become 1–5 stars), and a demo user. With
 * `admin`, also an admin with the published password, who adds the products: never in
 * production, where the first admin is made with `npm run create-admin`.
 */
export async function loadDemoData(options: { admin?: boolean } = {}): Promise<DemoData> {
  const admin = options.admin ?? true;
  const rows = await loadNsmcSample();
  const authors = [...new Set(rows.map((r) => r.author))];
  const reviewerKey = new Map(authors.map((a, i) => [a, `reviewer${i + 1}`]));
  const users: DemoUser[] = [
    ...(admin
      ? [
          {
            key: 'admin',
            email: ADMIN_LOGIN.email,
            nickname: 'admin',
            role: 'ADMIN' as const,
            password: ADMIN_LOGIN.password,
          },
        ]
      : []),
    ...authors.map((a, i) => ({
      key: `reviewer${i + 1}`,
      email: `reviewer${i + 1}@demo.moim.dev`,
      nickname: `${a.replace(/\*/g, '')}_${i + 1}`.slice(0, 20),
      role: 'USER' as const,
      password: DEMO_LOGIN.password,
    })),
    { key: 'demo', email: DEMO_LOGIN.email, nickname: 'demo', role: 'USER', password: DEMO_LOGIN.password },
  ];
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.author, (counts.get(r.author) ?? 0) + 1);
  const follows = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([author]) => ({ followerKey: 'demo', followeeKey: reviewerKey.get(author)! }));
  const products = [...new Set(rows.map((r) => r.movieId))].map((movieId) => ({
    key: `movie${movieId}`,
    name: `영화 #${movieId}`,
    category: 'movie',
    ownerKey: admin ? 'admin' : 'demo',
  }));
  const reviews = rows.map((r): DemoReview => {
    const long = r.text.length > LONG_FORM_AT;
    return {
      authorKey: reviewerKey.get(r.author)!,
      productKey: `movie${r.movieId}`,
      kind: long ? 'DADALOG' : 'SOSOLOG',
      title: long ? `${r.text.slice(0, 30)}…` : null,
      body: r.text,
      rating: toStars(r.rating),
      // Same-day reviews get distinct times from their ids, so the feed order is stable.
      at: new Date(r.date.getTime() + (Number(r.reviewId) % 86_400) * 1000),
    };
  });
  const posts = demoPosts(follows.map((f) => f.followeeKey));
  const places = DEMO_PLACES.map((p, i) => ({
    ...p,
    key: `place${i + 1}`,
    ownerKey: admin ? 'admin' : 'demo',
  }));
  return { users, follows, places, products, reviews, posts, ids: new Map() };
}

/** Made up for the demo (well-known chains and landmarks, so searches have something to find). */
const DEMO_PLACES: Array<Omit<DemoPlace, 'key' | 'ownerKey'>> = [
  { name: '스타벅스 강남역점', address: '서울 강남구 강남대로 390', category: '카페' },
  { name: '스타벅스 광화문점', address: '서울 종로구 세종대로 167', category: '카페' },
  { name: '블루보틀 성수', address: '서울 성동구 아차산로 7', category: '카페' },
  { name: '교보문고 광화문점', address: '서울 종로구 종로 1', category: '서점' },
  { name: '광장시장 빈대떡', address: '서울 종로구 창경궁로 88', category: '시장' },
  { name: '을지로 노가리 골목', address: '서울 중구 을지로13길', category: '술집' },
  { name: '명동교자 본점', address: '서울 중구 명동10길 29', category: '식당' },
  { name: '남산서울타워', address: '서울 용산구 남산공원길 105', category: '관광' },
  { name: '서울대학교 중앙도서관', address: '서울 관악구 관악로 1', category: '도서관' },
  { name: 'Cafe Onion Seongsu', address: '서울 성동구 아차산로9길 8', category: '카페' },
];
