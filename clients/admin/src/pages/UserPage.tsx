import {
  AdminUserDocument,
  AdminUserFollowersDocument,
  AdminUserFollowingDocument,
  AdminUserPostsDocument,
} from '@moim/sdk/admin';
import { Empty, LoadState, Pager, Section, Time } from '../components/common';
import { PostSummary } from '../components/content';
import { AuthorReviews } from '../components/review-list';
import { useI18n } from '../i18n/context';
import { client } from '../lib/client';
import { useAsync } from '../lib/use-async';
import { connectionPage, PAGE_SIZE, usePaged } from '../lib/use-paged';
import { UserTable } from './UsersPage';
import { Link } from '../components/link';

/** One account: its role and profile, who follows it and whom it follows, what it wrote lately. */
export function UserPage({ id }: { id: string }) {
  const { t } = useI18n();
  const user = useAsync(async () => (await client.request(AdminUserDocument, { id })).user, id);
  return (
    <>
      <p>
        <Link to="users">{t('common.back')}</Link>
      </p>
      <LoadState state={user} onRetry={user.reload} />
      {user.status === 'ready' && !user.data && <p role="alert">{t('users.notFound')}</p>}
      {user.data && (
        <>
          <h1>{user.data.nickname}</h1>
          <dl className="facts">
            <dt>{t('users.role')}</dt>
            <dd>{t(`users.role.${user.data.role}`)}</dd>
            <dt>{t('users.email')}</dt>
            <dd>{user.data.email}</dd>
            <dt>{t('users.bio')}</dt>
            <dd>{user.data.bio}</dd>
            <dt>{t('users.phoneVerified')}</dt>
            <dd>{user.data.phoneVerified ? t('users.yes') : t('users.no')}</dd>
            <dt>{t('users.joined')}</dt>
            <dd>
              <Time iso={user.data.createdAt} />
            </dd>
            <dt>{t('users.followers')}</dt>
            <dd>{user.data.followerCount}</dd>
            <dt>{t('users.following')}</dt>
            <dd>{user.data.followingCount}</dd>
            <dt>{t('users.reviews')}</dt>
            <dd>{t('users.reviewCount', { count: user.data.reviewCount })}</dd>
          </dl>
          <Follows id={id} />
          <AuthorReviews id={id} title={t('users.reviews')} />
          <Posts id={id} />
        </>
      )}
    </>
  );
}

function Follows({ id }: { id: string }) {
  const { t } = useI18n();
  const followers = usePaged(async (after) => {
    const { user } = await client.request(AdminUserFollowersDocument, { id, first: PAGE_SIZE, after });
    return connectionPage(user?.followers);
  }, id);
  const following = usePaged(async (after) => {
    const { user } = await client.request(AdminUserFollowingDocument, { id, first: PAGE_SIZE, after });
    return connectionPage(user?.following);
  }, id);
  return (
    <>
      <Section title={t('users.followers')}>
        <UserTable caption={t('users.followers')} list={followers} />
      </Section>
      <Section title={t('users.following')}>
        <UserTable caption={t('users.following')} list={following} />
      </Section>
    </>
  );
}

function Posts({ id }: { id: string }) {
  const { t } = useI18n();
  const list = usePaged(async (after) => {
    const { user } = await client.request(AdminUserPostsDocument, { id, first: PAGE_SIZE, after });
    return connectionPage(user?.posts);
  }, id);
  return (
    <Section title={t('users.posts')}>
      <LoadState state={list} onRetry={list.reload} />
      {list.data && (
        <>
          <ul className="cards" aria-label={t('users.posts')}>
            {list.data.items.map((post) => (
              <li key={post.id} className="card">
                <PostSummary post={post} />
              </li>
            ))}
          </ul>
          <Empty show={list.data.items.length === 0} />
          <Pager paging={list.paging} label={t('users.posts')} />
        </>
      )}
    </Section>
  );
}
