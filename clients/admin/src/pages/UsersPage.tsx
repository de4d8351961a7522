import { useId, useState, type FormEvent } from 'react';
import { AdminUsersDocument, type AdminUserPageFragment, type Role } from '@moim/sdk/admin';
import { Empty, LoadState, Pager, Time } from '../components/common';
import { UserLink } from '../components/content';
import { useI18n } from '../i18n/context';
import { client } from '../lib/client';
import { connectionPage, PAGE_SIZE, usePaged, type PagedList } from '../lib/use-paged';

export type UserRow = AdminUserPageFragment['edges'][number]['node'];
const ROLES: Role[] = ['USER', 'ADMIN'];

export function UsersPage() {
  const { t } = useI18n();
  const ids = { query: useId(), role: useId() };
  const [text, setText] = useState('');
  const [filters, setFilters] = useState<{ query: string; role: Role | '' }>({ query: '', role: '' });
  const list = usePaged(async (after) => {
    const { users } = await client.request(AdminUsersDocument, {
      query: filters.query || null,
      role: filters.role || null,
      first: PAGE_SIZE,
      after,
    });
    return connectionPage(users);
  }, `${filters.query}|${filters.role}`);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFilters((f) => ({ ...f, query: text.trim() }));
  };
  return (
    <>
      <h1>{t('users.heading')}</h1>
      <form role="search" className="toolbar" onSubmit={submit}>
        <label htmlFor={ids.query}>{t('users.query')}</label>
        <input
          id={ids.query}
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          maxLength={100}
        />
        <label htmlFor={ids.role}>{t('users.role')}</label>
        <select
          id={ids.role}
          value={filters.role}
          onChange={(e) => setFilters((f) => ({ ...f, role: e.target.value as Role | '' }))}
        >
          <option value="">{t('users.role.any')}</option>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {t(`users.role.${r}`)}
            </option>
          ))}
        </select>
        <button type="submit">{t('common.search')}</button>
      </form>
      <UserTable caption={t('users.heading')} list={list} />
    </>
  );
}

export function UserTable({ caption, list }: { caption: string; list: PagedList<UserRow> }) {
  const { t } = useI18n();
  return (
    <>
      <LoadState state={list} onRetry={list.reload} />
      {list.data && (
        <>
          <table aria-busy={list.stale}>
            <caption className="visually-hidden">{caption}</caption>
            <thead>
              <tr>
                <th scope="col">{t('users.nickname')}</th>
                <th scope="col">{t('users.email')}</th>
                <th scope="col">{t('users.role')}</th>
                <th scope="col">{t('users.followers')}</th>
                <th scope="col">{t('users.following')}</th>
                <th scope="col">{t('users.joined')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((user) => (
                <tr key={user.id}>
                  <th scope="row">
                    <UserLink user={user} />
                  </th>
                  <td>{user.email}</td>
                  <td>{t(`users.role.${user.role}`)}</td>
                  <td>{user.followerCount}</td>
                  <td>{user.followingCount}</td>
                  <td>
                    <Time iso={user.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Empty show={list.data.items.length === 0} />
          <Pager paging={list.paging} label={caption} />
        </>
      )}
    </>
  );
}
