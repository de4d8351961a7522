import type { AdminPostFragment, AdminReviewFragment, AdminUserRefFragment } from '@moim/sdk/admin';
import { useI18n } from '../i18n/context';
import { Time } from './common';
import { Link } from './link';
import { CARD_HEADING } from '../lib/use-refocus';

export function UserLink({ user }: { user: AdminUserRefFragment }) {
  return (
    <Link to="users" param={user.id} className="user-link">
      {user.nickname}
    </Link>
  );
}

const excerpt = (text: string, max = 280) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** A review as the moderator needs it: what, by whom, about what, when, and whether it is hidden. */
export function ReviewSummary({ review, titleId }: { review: AdminReviewFragment; titleId?: string }) {
  const { t } = useI18n();
  const subjectKind = review.subject.__typename === 'Place' ? t('common.place') : t('common.product');
  return (
    <div className="content">
      <p className="content-kind">
        {t('common.review')} · {subjectKind} · <span>{t('reviews.on', { name: review.subject.name })}</span>
        {review.hidden && <span className="badge">{t('common.hidden')}</span>}
      </p>
      <p className="content-title" id={titleId} {...(titleId ? { [CARD_HEADING]: '', tabIndex: -1 } : {})}>
        {review.title ?? excerpt(review.body, 60)}
      </p>
      {review.title && <p className="content-body">{excerpt(review.body)}</p>}
      <p className="meta">
        <span role="img" aria-label={t('common.rating', { rating: review.rating })}>
          {'★'.repeat(review.rating)}
        </span>{' '}
        · {t('common.by')} <UserLink user={review.author} /> · <Time iso={review.createdAt} />
      </p>
    </div>
  );
}

export function PostSummary({ post }: { post: AdminPostFragment }) {
  const { t } = useI18n();
  return (
    <div className="content">
      <p className="content-kind">
        {t('common.post')} · {t('reports.inBoard', { board: post.board })}
        {post.hidden && <span className="badge">{t('common.hidden')}</span>}
      </p>
      <p className="content-title">{post.postTitle}</p>
      <p className="content-body">{excerpt(post.body)}</p>
      <p className="meta">
        {t('common.by')} <UserLink user={post.author} /> · <Time iso={post.createdAt} />
      </p>
    </div>
  );
}
