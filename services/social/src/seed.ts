import { In } from 'typeorm';
import type { Caller } from '@moim/kit';
import type { DemoData, Seeder } from '@moim/demo';
import type { SocialDeps } from './domain/context';
import { insertAccounts } from './domain/accounts';
import { addComment } from './domain/comments';
import { followInTransaction } from './domain/follows';
import { hashPassword } from './domain/passwords';
import { createPost } from './domain/posts';
import { react } from './domain/reactions';
import { PostEntity, UserEntity } from './entities';

/** The demo accounts and follows (in one transaction; follows travel on as events), then board posts. */
export const seed: Seeder<SocialDeps> = async (deps, demo) => {
  const accounts = await seedAccounts(deps, demo);
  const posts = await seedPosts(deps, demo);
  return accounts || posts ? { ...accounts, ...posts } : null;
};

async function seedAccounts(deps: SocialDeps, demo: DemoData) {
  const existing = await deps.db.dataSource
    .getRepository(UserEntity)
    .findBy({ email: In(demo.users.map((u) => u.email)) });
  const byEmail = new Map(existing.map((u) => [u.email, u.id]));
  for (const u of demo.users) if (byEmail.has(u.email)) demo.ids.set(u.key, byEmail.get(u.email)!);
  if (existing.length === demo.users.length) return null;
  if (existing.length)
    throw new Error(
      `Some demo accounts exist already (${existing[0]!.email}): drop social's data and seed again`,
    );

  // One slow hash per distinct password: thousands of argon2 hashes would take minutes.
  const hashes = new Map<string, string>();
  for (const password of new Set(demo.users.map((u) => u.password)))
    hashes.set(password, await hashPassword(password));
  await deps.db.transaction(async (manager) => {
    const users = await insertAccounts(
      manager,
      demo.users.map((u) => ({ ...u, passwordHash: hashes.get(u.password)! })),
    );
    users.forEach((user, i) => demo.ids.set(demo.users[i]!.key, user.id));
    for (const f of demo.follows)
      await followInTransaction(manager, demo.ids.get(f.followerKey)!, demo.ids.get(f.followeeKey)!);
  });
  return { users: demo.users.length, follows: demo.follows.length };
}

/**
 * The demo board posts with their comments, replies and likes, written as their authors would
 * write them (notifications included). Skipped when the first one is there.
 */
async function seedPosts(deps: SocialDeps, demo: DemoData) {
  const first = demo.posts[0];
  const userId = (key: string) => demo.ids.get(key)!;
  if (!first) return null;
  if (
    await deps.db.dataSource
      .getRepository(PostEntity)
      .existsBy({ board: first.board, title: first.title, authorId: userId(first.authorKey) })
  )
    return null;
  const as = (key: string): Caller => ({ userId: userId(key), role: 'USER', ip: null, requestId: 'seed' });
  let comments = 0;
  for (const p of demo.posts) {
    const post = await createPost(deps, as(p.authorKey), { board: p.board, title: p.title, body: p.body });
    for (const c of p.comments) {
      const comment = await addComment(deps, as(c.authorKey), post.id, c.body, null);
      for (const r of c.replies ?? []) await addComment(deps, as(r.authorKey), post.id, r.body, comment.id);
      comments += 1 + (c.replies?.length ?? 0);
    }
    for (const key of p.likedBy) await react(deps, as(key), 'like', post.id);
  }
  return { posts: demo.posts.length, comments };
}
