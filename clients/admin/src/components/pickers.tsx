import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { AdminSubjectsDocument, AdminUsersDocument } from '@moim/sdk/admin';
import { useI18n } from '../i18n/context';
import { client } from '../lib/client';
import { PAGE_SIZE, usePaged, type Page } from '../lib/use-paged';
import { guard, LoadState, Pager } from './common';

export interface Choice {
  id: string;
  name: string;
}

export interface SubjectChoice extends Choice {
  kind: 'Place' | 'Product';
}

interface PickerProps<T extends Choice> {
  label: string;
  fetchPage(query: string, after: string | null): Promise<Page<T>>;
  describe(item: T): ReactNode;
  onChoose(item: T): void;
  /** Focus the search box on arrival (after the admin cleared a choice). */
  autoFocus?: boolean;
}

const emptyPage = { items: [], pageInfo: { hasNextPage: false, endCursor: null } };

/** A search box with its results as buttons: choosing one hands it to the form around it. */
function SearchPicker<T extends Choice>({ label, fetchPage, describe, onChoose, autoFocus }: PickerProps<T>) {
  const { t } = useI18n();
  const inputId = useId();
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  const results = usePaged<T>(
    (after) => (query ? fetchPage(query, after) : Promise.resolve(emptyPage)),
    query,
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setQuery(text.trim());
  };
  // The results of the previous search stay on screen while the new ones load, not choosable.
  const stale = results.stale;
  return (
    <div className="picker">
      {/* A form of its own (never inside another form): Enter submits, but not while an IME composes. */}
      <form role="search" className="toolbar" onSubmit={submit}>
        <label htmlFor={inputId}>{label}</label>
        <input
          id={inputId}
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          autoFocus={autoFocus}
        />
        <button type="submit">{t('common.search')}</button>
      </form>
      {query && (
        <>
          <LoadState state={results} onRetry={results.reload} />
          {results.data && (
            <>
              <ul className="choices" aria-label={label} aria-busy={stale}>
                {results.data.items.map((item) => (
                  <li key={item.id}>
                    <span>{describe(item)}</span>
                    <button type="button" aria-disabled={stale} onClick={guard(stale, () => onChoose(item))}>
                      {t('common.choose')}
                      <span className="visually-hidden"> {item.name}</span>
                    </button>
                  </li>
                ))}
              </ul>
              {results.data.items.length === 0 && <p className="empty">{t('picker.noMatch')}</p>}
              <Pager paging={results.paging} />
            </>
          )}
        </>
      )}
    </div>
  );
}

export function UserPicker({ onChoose, autoFocus }: { onChoose(user: Choice): void; autoFocus?: boolean }) {
  const { t } = useI18n();
  return (
    <SearchPicker<Choice & { email: string | null }>
      label={t('picker.user')}
      fetchPage={async (query, after) => {
        const { users } = await client.request(AdminUsersDocument, { query, first: PAGE_SIZE, after });
        return {
          items: users.edges.map(({ node }) => ({ id: node.id, name: node.nickname, email: node.email })),
          pageInfo: users.pageInfo,
        };
      }}
      describe={(user) => (
        <>
          <strong>{user.name}</strong> {user.email && <span className="muted">{user.email}</span>}
        </>
      )}
      onChoose={onChoose}
      autoFocus={autoFocus}
    />
  );
}

type SubjectRow = SubjectChoice & { detail: string; reviewCount: number };

export function SubjectPicker({
  onChoose,
  autoFocus,
}: {
  onChoose(subject: SubjectChoice): void;
  autoFocus?: boolean;
}) {
  const { t } = useI18n();
  return (
    <SearchPicker<SubjectRow>
      label={t('picker.subject')}
      fetchPage={async (query, after) => {
        const { search } = await client.request(AdminSubjectsDocument, { query, first: PAGE_SIZE, after });
        const items = search.edges.flatMap(({ node: hit }): SubjectRow[] => {
          const node = hit.node;
          if (node?.__typename === 'Place')
            return [
              {
                id: node.id,
                name: node.name,
                kind: 'Place' as const,
                detail: node.address ?? node.category,
                reviewCount: node.reviewCount,
              },
            ];
          if (node?.__typename === 'Product')
            return [
              {
                id: node.id,
                name: node.name,
                kind: 'Product' as const,
                detail: node.brand ?? node.category,
                reviewCount: node.reviewCount,
              },
            ];
          return [];
        });
        return { items, pageInfo: search.pageInfo };
      }}
      describe={(subject) => (
        <>
          <strong>{subject.name}</strong>{' '}
          <span className="muted">
            {subject.kind === 'Place' ? t('common.place') : t('common.product')} · {subject.detail} ·{' '}
            {t('users.reviewCount', { count: subject.reviewCount })}
          </span>
        </>
      )}
      onChoose={onChoose}
      autoFocus={autoFocus}
    />
  );
}
