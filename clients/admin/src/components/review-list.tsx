import { useId, useRef } from 'react';
import {
  AdminHideReviewDocument,
  AdminUnhideReviewDocument,
  AdminUserReviewsDocument,
  type AdminReviewFragment,
} from '@moim/sdk/admin';
import { useI18n } from '../i18n/context';
import { client } from '../lib/client';
import { useAction } from '../lib/use-action';
import { connectionPage, PAGE_SIZE, usePaged, type PagedList } from '../lib/use-paged';
import { useRefocus } from '../lib/use-refocus';
import { Empty, guard, LoadState, Notice, Pager, Section } from './common';
import { ReviewSummary } from './content';

interface Props {
  label: string;
  list: PagedList<AdminReviewFragment>;
}

/**
 * A page of reviews as the server sends it, with hide / unhide on each. Nothing is filtered here
 * (a page would come up short): an author's or subject's list has hidden reviews, badged, for
 * admins to unhide; feeds have none.
 */
export function ReviewList({ label, list }: Props) {
  const { notice, busy, run } = useAction();
  const listRef = useRef<HTMLUListElement>(null);
  const refocus = useRefocus(listRef, list.status === 'ready', list.data);
  const toggle = (review: AdminReviewFragment, index: number) =>
    run(review.id, async () => {
      if (review.hidden) await client.request(AdminUnhideReviewDocument, { id: review.id });
      else await client.request(AdminHideReviewDocument, { id: review.id });
      refocus(index); // a hidden review leaves a feed, and its button with it
      list.reload();
      return { kind: 'ok', key: review.hidden ? 'reviews.unhiddenDone' : 'reviews.hiddenDone' };
    });
  const items = list.data?.items ?? [];
  const inactive = busy !== null || list.stale;
  return (
    <>
      <Notice notice={notice} />
      <LoadState state={list} onRetry={list.reload} />
      {list.data && (
        <>
          <ul className="cards" aria-label={label} ref={listRef} tabIndex={-1} aria-busy={list.stale}>
            {items.map((review, index) => (
              <ReviewCard
                key={review.id}
                review={review}
                inactive={inactive}
                onToggle={() => void toggle(review, index)}
              />
            ))}
          </ul>
          <Empty show={items.length === 0} />
          <Pager paging={list.paging} label={label} />
        </>
      )}
    </>
  );
}

function ReviewCard({
  review,
  inactive,
  onToggle,
}: {
  review: AdminReviewFragment;
  inactive: boolean;
  onToggle(): void;
}) {
  const { t } = useI18n();
  const titleId = useId();
  return (
    <li className="card">
      <ReviewSummary review={review} titleId={titleId} />
      <div className="actions">
        {/* Every card has a Hide: which review it hides is said by the card's title. */}
        <button
          type="button"
          className={review.hidden ? '' : 'danger'}
          aria-describedby={titleId}
          aria-disabled={inactive}
          onClick={guard(inactive, onToggle)}
        >
          {review.hidden ? t('reviews.unhide') : t('reviews.hide')}
        </button>
      </div>
    </li>
  );
}

/** An author's reviews, hidden ones included (badged, with Unhide): the reviews page and a user's page. */
export function AuthorReviews({ id, title, level = 2 }: { id: string; title: string; level?: 2 | 3 }) {
  const list = usePaged(async (after) => {
    const { user } = await client.request(AdminUserReviewsDocument, { id, first: PAGE_SIZE, after });
    return connectionPage(user?.reviews);
  }, id);
  return (
    <Section title={title} level={level}>
      <ReviewList label={title} list={list} />
    </Section>
  );
}
