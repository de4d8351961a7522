import { afterAll, beforeAll, expect, it } from 'vitest';
import { PlaceEntity } from '@moim/review';
import { UserEntity } from '@moim/social';
import { startGraph, type Graph } from '../src';

// Every malformed input of "Hardening the edge", finding 9, as one table: the code and HTTP
// status a client gets (the README's table of errors), and nothing written.
let graph: Graph;
let token: string;
beforeAll(async () => {
  graph = await startGraph();
  token = (await graph.signUp('table_owner')).token;
});
afterAll(() => graph?.stop());

const SIGN_UP = 'mutation($i: SignUpInput!) { signUp(input: $i) { user { id } } }';
const CREATE_PLACE = 'mutation($i: CreatePlaceInput!) { createPlace(input: $i) { id } }';
const FEED =
  'query($first: Int, $after: String) { feed(tab: LATEST, first: $first, after: $after) { edges { cursor } } }';
const account = (over: Record<string, string>) => ({
  i: {
    email: 'new.person@example.com',
    password: 'a-long-unusual-passphrase',
    nickname: 'newperson',
    ...over,
  },
});
const cursorAt = (ms: number) =>
  Buffer.from(`${ms}:0190a8c2-7f3e-7c1a-9b2d-3e4f5a6b7c8d`).toString('base64url');

type Row = [
  name: string,
  request: { query?: string; variables?: object; raw?: string; auth?: boolean },
  status: number,
  code: string,
  field?: string,
];

const rows: Row[] = [
  [
    'a URL that outgrows its column once normalised',
    {
      query: CREATE_PLACE,
      variables: {
        i: { name: 'Far Cafe', category: 'cafe', externalUrl: `https://example.com/${'한'.repeat(200)}` },
      },
      auth: true,
    },
    200,
    'BAD_USER_INPUT',
    'externalUrl',
  ],
  [
    'an invisible filler in a nickname',
    { query: SIGN_UP, variables: account({ nickname: 'ㅤㅤ' }) },
    200,
    'BAD_USER_INPUT',
    'nickname',
  ],
  [
    'a Cyrillic letter in a Latin nickname',
    { query: SIGN_UP, variables: account({ nickname: 'аdmin' }) },
    200,
    'BAD_USER_INPUT',
    'nickname',
  ],
  [
    'a password of 8 spaces',
    { query: SIGN_UP, variables: account({ password: '        ' }) },
    200,
    'BAD_USER_INPUT',
    'password',
  ],
  [
    'a common password',
    { query: SIGN_UP, variables: account({ password: 'password' }) },
    200,
    'BAD_USER_INPUT',
    'password',
  ],
  [
    'the email as the password',
    { query: SIGN_UP, variables: account({ password: 'new.person@example.com' }) },
    200,
    'BAD_USER_INPUT',
    'password',
  ],
  [
    'a NUL in an email',
    { query: SIGN_UP, variables: account({ email: 'new\u0000person@example.com' }) },
    200,
    'BAD_USER_INPUT',
    'email',
  ],
  [
    'a < in an email',
    { query: SIGN_UP, variables: account({ email: '<new>@example.com' }) },
    200,
    'BAD_USER_INPUT',
    'email',
  ],
  [
    'a cursor from the far future',
    { query: FEED, variables: { first: 5, after: cursorAt(8.64e15) } },
    400,
    'BAD_USER_INPUT',
    'after',
  ],
  ['first: -1', { query: FEED, variables: { first: -1 } }, 400, 'BAD_USER_INPUT', 'first'],
  ['first: 101', { query: FEED, variables: { first: 101 } }, 400, 'BAD_USER_INPUT', 'first'],
  [
    'a persisted-query hash',
    { raw: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } }) },
    400,
    'PERSISTED_QUERY_NOT_SUPPORTED',
  ],
  [
    'selections nested 3,000 deep',
    { query: `{${'a{'.repeat(3000)}b${'}'.repeat(3001)}` },
    400,
    'BAD_USER_INPUT',
  ],
];

it.each(rows)('%s → %i %s, nothing written', async (_, request, status, code, field) => {
  const users = graph.service('social').deps.db.dataSource.getRepository(UserEntity);
  const places = graph.service('review').deps.db.dataSource.getRepository(PlaceEntity);
  const before = { users: await users.count(), places: await places.count() };
  const res = await fetch(graph.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(request.auth ? { authorization: `Bearer ${token}` } : {}),
    },
    body: request.raw ?? JSON.stringify({ query: request.query, variables: request.variables }),
  });
  const json = (await res.json()) as { errors?: Array<{ extensions?: { code?: string; field?: string } }> };
  expect({
    status: res.status,
    code: json.errors?.[0]?.extensions?.code,
    field: json.errors?.[0]?.extensions?.field,
  }).toEqual({
    status,
    code,
    field,
  });
  expect({ users: await users.count(), places: await places.count() }).toEqual(before);
});
