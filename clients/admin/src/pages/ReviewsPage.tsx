import { useState } from 'react';
import {
  AdminLatestReviewsDocument,
  AdminPlaceReviewsDocument,
  AdminProductReviewsDocument,
} from '@moim/sdk/admin';
import { Section } from '../components/common';
import { SubjectPicker, UserPicker, type Choice, type SubjectChoice } from '../components/pickers';
import { AuthorReviews, ReviewList } from '../components/review-list';
import { useI18n } from '../i18n/context';
import type { MessageKey } from '../i18n/messages';
import { client } from '../lib/client';
import { connectionPage, PAGE_SIZE, usePaged } from '../lib/use-paged';
import { WriteReview } from './WriteReview';
import { Link } from '../components/link';

const MODES = ['latest', 'author', 'subject', 'write'] as const;
type Mode = (typeof MODES)[number];
const MODE_LABEL: Record<Mode, MessageKey> = {
  latest: 'reviews.latest',
  author: 'reviews.byAuthor',
  subject: 'reviews.bySubject',
  write: 'reviews.write',
};

export function ReviewsPage({ mode }: { mode: string | undefined }) {
  const { t } = useI18n();
  const current: Mode = (MODES as readonly string[]).includes(mode ?? '') ? (mode as Mode) : 'latest';
  return (
    <>
      <h1>{t('reviews.heading')}</h1>
      <nav className="subnav" aria-label={t('reviews.heading')}>
        {MODES.map((m) => (
          <Link key={m} to="reviews" param={m} aria-current={m === current ? 'page' : undefined}>
            {t(MODE_LABEL[m])}
          </Link>
        ))}
      </nav>
      {current === 'latest' && <Latest />}
      {current === 'author' && <ByAuthor />}
      {current === 'subject' && <BySubject />}
      {current === 'write' && <WriteReview />}
    </>
  );
}

/** The feed as people see it: the server leaves hidden reviews out of feeds, for admins too. */
function Latest() {
  const { t } = useI18n();
  const list = usePaged(async (after) => {
    const { feed } = await client.request(AdminLatestReviewsDocument, { first: PAGE_SIZE, after });
    return connectionPage(feed);
  }, 'latest');
  return (
    <Section title={t('reviews.latest')}>
      <ReviewList label={t('reviews.latest')} list={list} />
    </Section>
  );
}

function ByAuthor() {
  const { t } = useI18n();
  const [author, setAuthor] = useState<Choice | null>(null);
  return (
    <Section title={t('reviews.byAuthor')}>
      <UserPicker onChoose={setAuthor} />
      {author && (
        <AuthorReviews
          key={author.id}
          id={author.id}
          title={t('reviews.byNickname', { name: author.name })}
          level={3}
        />
      )}
    </Section>
  );
}

function BySubject() {
  const { t } = useI18n();
  const [subject, setSubject] = useState<SubjectChoice | null>(null);
  return (
    <Section title={t('reviews.bySubject')}>
      <SubjectPicker onChoose={setSubject} />
      {subject && <SubjectReviews subject={subject} />}
    </Section>
  );
}

function SubjectReviews({ subject }: { subject: SubjectChoice }) {
  const { t } = useI18n();
  const list = usePaged(async (after) => {
    const variables = { id: subject.id, first: PAGE_SIZE, after };
    if (subject.kind === 'Place') {
      const { place } = await client.request(AdminPlaceReviewsDocument, variables);
      return connectionPage(place?.reviews);
    }
    const { product } = await client.request(AdminProductReviewsDocument, variables);
    return connectionPage(product?.reviews);
  }, `${subject.kind}:${subject.id}`);
  const title = t('reviews.ofSubject', { name: subject.name });
  return (
    <Section title={title} level={3}>
      <ReviewList label={title} list={list} />
    </Section>
  );
}
