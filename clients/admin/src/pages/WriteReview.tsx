import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { AdminCreateReviewDocument, type ReviewKind } from '@moim/sdk/admin';
import { Notice, Section } from '../components/common';
import { ReviewSummary } from '../components/content';
import { SubjectPicker, UserPicker, type Choice, type SubjectChoice } from '../components/pickers';
import { useI18n } from '../i18n/context';
import { client } from '../lib/client';
import { useAction } from '../lib/use-action';
import type { AdminReviewFragment } from '@moim/sdk/admin';

const KINDS: ReviewKind[] = ['DADALOG', 'SOSOLOG'];

/** adminCreateReview: a review published under another user's name, on a place or product. */
export function WriteReview() {
  const { t } = useI18n();
  const ids = { kind: useId(), title: useId(), body: useId(), rating: useId() };
  const [author, setAuthor] = useState<Choice | null>(null);
  const [subject, setSubject] = useState<SubjectChoice | null>(null);
  const [kind, setKind] = useState<ReviewKind>('SOSOLOG');
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [rating, setRating] = useState(5);
  const [created, setCreated] = useState<AdminReviewFragment | null>(null);
  const { notice, busy, run } = useAction();
  // After Clear, focus goes to the search box that replaces it (not on the page's first load).
  const [cleared, setCleared] = useState({ author: false, subject: false });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run('create', async () => {
      if (!author) return { kind: 'error', key: 'reviews.pickAuthor' };
      if (!subject) return { kind: 'error', key: 'reviews.pickSubject' };
      const { adminCreateReview } = await client.request(AdminCreateReviewDocument, {
        authorId: author.id,
        input: {
          kind,
          title: kind === 'DADALOG' ? title : null,
          body,
          rating,
          ...(subject.kind === 'Place' ? { placeId: subject.id } : { productId: subject.id }),
        },
      });
      setCreated(adminCreateReview);
      setTitle('');
      setBody('');
      return { kind: 'ok', key: 'reviews.created', vars: { nickname: author.name } };
    });
  };

  return (
    <Section title={t('reviews.write')}>
      <fieldset>
        <legend>{t('reviews.author')}</legend>
        {author ? (
          <Chosen
            name={author.name}
            onClear={() => (setAuthor(null), setCleared((c) => ({ ...c, author: true })))}
          />
        ) : (
          <UserPicker onChoose={setAuthor} autoFocus={cleared.author} />
        )}
      </fieldset>
      <fieldset>
        <legend>{t('reviews.subject')}</legend>
        {subject ? (
          <Chosen
            name={subject.name}
            onClear={() => (setSubject(null), setCleared((c) => ({ ...c, subject: true })))}
          />
        ) : (
          <SubjectPicker onChoose={setSubject} autoFocus={cleared.subject} />
        )}
      </fieldset>
      <form onSubmit={submit} className="form">
        <label htmlFor={ids.kind}>{t('reviews.kind')}</label>
        <select id={ids.kind} value={kind} onChange={(e) => setKind(e.target.value as ReviewKind)}>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`reviews.kind.${k}`)}
            </option>
          ))}
        </select>
        {kind === 'DADALOG' && (
          <>
            <label htmlFor={ids.title}>{t('reviews.title')}</label>
            <input
              id={ids.title}
              value={title}
              onChange={(e) => setTitle(e.target.value)}
              maxLength={100}
              required
            />
          </>
        )}
        <label htmlFor={ids.body}>{t('reviews.body')}</label>
        <textarea
          id={ids.body}
          value={body}
          onChange={(e) => setBody(e.target.value)}
          maxLength={kind === 'DADALOG' ? 10_000 : 300}
          rows={kind === 'DADALOG' ? 8 : 3}
          required
        />
        <label htmlFor={ids.rating}>{t('reviews.rating')}</label>
        <input
          id={ids.rating}
          type="number"
          min={1}
          max={5}
          value={rating}
          onChange={(e) => setRating(Number(e.target.value))}
          required
        />
        <div className="actions">
          <button type="submit" aria-disabled={busy !== null}>
            {t('reviews.submit')}
          </button>
        </div>
      </form>
      <Notice notice={notice} />
      {created && <ReviewSummary review={created} />}
    </Section>
  );
}

/** A choice made: focus moves to its Clear button, the Choose button pressed being gone with the results. */
function Chosen({ name, onClear }: { name: string; onClear(): void }) {
  const { t } = useI18n();
  const clear = useRef<HTMLButtonElement>(null);
  useEffect(() => clear.current?.focus(), []);
  return (
    <p className="chosen">
      {t('common.chosen', { name })}{' '}
      <button type="button" onClick={onClear} ref={clear}>
        {t('common.clear')}
      </button>
    </p>
  );
}
