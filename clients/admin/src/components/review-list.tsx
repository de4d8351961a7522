import {
  AdminHideReviewDocument,
  AdminUnhideReviewDocument,
  type AdminReviewFragment,
} from '@moim/sdk/admin';
import { useI18n } from '../i18n/context';
import { client } from '../lib/client';
import { useAction } from '../lib/use-action';
import type { AsyncState } from '../lib/use-async';
import type { Page, Paging } from '../lib/use-paged';
import { Empty, LoadState, Notice, Pager } from './common';
import { ReviewSummary } from './content';

interface Props {
  label: string;
  list: AsyncState<Page<AdminReviewFragment>> & { reload(): void; paging: Paging };
}

/**
 * A page of reviews as the server sends it, with hide / unhide on each. Nothing is filtered here
 * (a page would come up short): an author's or subject's list has hidden reviews, badged, for
 * admins to unhide; feeds have none.
 */
export function ReviewList({ label, list }: Props) {
  const { t } = useI18n();
  const { notice, busy, run } = useAction();
  const toggle = (review: AdminReviewFragment) =>
    run(review.id, async () => {
      if (review.hidden) await client.request(AdminUnhideReviewDocument, { id: review.id });
      else await client.request(AdminHideReviewDocument, { id: review.id });
      list.reload();
      return review.hidden ? t('reviews.unhiddenDone') : t('reviews.hiddenDone');
    });
  const items = list.data?.items ?? [];
  return (
    <>
      <Notice notice={notice} />
      <LoadState state={list} onRetry={list.reload} />
      {list.data && (
        <>
          <ul className="cards" aria-label={label}>
            {items.map((review) => (
              <li key={review.id} className="card">
                <ReviewSummary review={review} />
                <div className="actions">
                  <button
                    type="button"
                    className={review.hidden ? '' : 'danger'}
                    onClick={() => toggle(review)}
                    disabled={busy !== null}
                  >
                    {review.hidden ? t('reviews.unhide') : t('reviews.hide')}
                  </button>
                </div>
              </li>
            ))}
          </ul>
          <Empty show={items.length === 0} />
          <Pager paging={list.paging} />
        </>
      )}
    </>
  );
}
