import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_LOGIN, DEMO_LOGIN } from '@moim/demo';
import { envStem, SERVICES } from '@moim/events';
import { startProcess, type TestProcess } from '@moim/kit/testing';

// The console as an admin meets it: `npm start` as a real process (which builds the console when
// its sources changed and serves it at /admin), driven through a real Chromium.
const START = fileURLToPath(new URL('../../../scripts/start.ts', import.meta.url));
const freePorts = {
  PORT: '0',
  ...Object.fromEntries(SERVICES.map((s) => [`${envStem(s.name)}_PORT`, '0'])),
};

let dataDir: string;
let moim: TestProcess;
let graphqlUrl: string;
let origin: string;
let browser: Browser;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'moim-admin-'));
  moim = startProcess(START, {
    ...freePorts,
    DATA_DIR: dataDir,
    MOIM_BACKEND: 'embedded',
    HOME: process.env.HOME,
  });
  const [, url] = await moim.waitFor(/"graphql":"([^"]+)".*Moim is up/, 150_000);
  graphqlUrl = url!;
  origin = new URL(graphqlUrl).origin;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // Root in a container has no user namespaces for Chromium's sandbox.
    args: ['--no-sandbox'],
  });
}, 180_000); // a first run builds the console (Vite) beside seeding the demo

afterAll(async () => {
  await browser?.close();
  if (moim) {
    moim.child.kill('SIGTERM');
    await moim.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

type Answer<T> = { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };

async function post<T>(query: string, variables: object = {}, token?: string): Promise<Answer<T>> {
  const res = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Answer<T>;
}

async function gql<T>(query: string, variables: object = {}, token?: string): Promise<T> {
  const body = await post<T>(query, variables, token);
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

type AuthPayload = {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  user: { id: string; nickname: string; role: string };
};
const logInSession = async (login: { email: string; password: string }) =>
  (
    await gql<{ logIn: AuthPayload }>(
      'mutation($i: LogInInput!) { logIn(input: $i) { accessToken accessTokenExpiresAt refreshToken user { id nickname role } } }',
      { i: login },
    )
  ).logIn;
const logIn = async (login: { email: string; password: string }) => (await logInSession(login)).accessToken;

/** The code refreshSession answers for a refresh token: UNAUTHENTICATED once it was revoked. */
const refreshCode = async (refreshToken: string) =>
  (
    await post('mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', {
      t: refreshToken,
    })
  ).errors?.[0]?.extensions?.code ?? 'OK';

const SESSION_KEY = 'moim.admin.session';

type FeedReview = { id: string; title: string | null; author: { nickname: string } };
// Nicknames as typed in the user picker, whose choices are buttons named after them.
const latest = async (token?: string) =>
  (
    await gql<{ feed: { edges: Array<{ node: FeedReview }> } }>(
      '{ feed(tab: LATEST, first: 20) { edges { node { id title author { nickname } } } } }',
      {},
      token,
    )
  ).feed.edges.map((e) => e.node);

/**
 * A fresh browser profile in English and Seoul time, recording every request it makes (the
 * context's, so Monaco's workers are in it too), every Content-Security-Policy violation the
 * console reports, and every uncaught error of the page.
 */
async function openConsole(): Promise<{
  context: BrowserContext;
  page: Page;
  requests: string[];
  problems: string[];
}> {
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'Asia/Seoul' });
  const requests: string[] = [];
  const problems: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content.Security.Policy|Refused to/i.test(message.text()))
      problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  await page.goto(`${origin}/admin/`);
  return { context, page, requests, problems };
}

async function logInAs(page: Page, login: { email: string; password: string }) {
  await page.getByLabel('Email').fill(login.email);
  await page.getByLabel('Password').fill(login.password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

describe('the admin console in a browser', () => {
  it('hides a reported review from the moderation queue, and the review leaves the LATEST feed', async () => {
    const demo = await logIn(DEMO_LOGIN);
    // A titled review unique on the feed's first page: the console shows titles as they are.
    const feed = await latest(demo);
    const review = feed.find((r) => r.title && feed.filter((o) => o.title === r.title).length === 1)!;
    expect(review).toBeDefined();
    const note = `browser test ${Date.now()}`;
    await gql(
      'mutation($id: ID!, $note: String) { report(targetId: $id, reason: SPAM, note: $note) { id } }',
      {
        id: review.id,
        note,
      },
      demo,
    );

    const { context, page } = await openConsole();
    await logInAs(page, ADMIN_LOGIN);
    await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    expect(await page.getByText('Times in Asia/Seoul').count()).toBe(1);

    // Before: the review is on the console's LATEST list.
    const sections = page.getByRole('navigation', { name: 'Sections' });
    await sections.getByRole('link', { name: 'Reviews' }).click();
    const latestList = page.getByRole('list', { name: 'Latest reviews' });
    await latestList.getByText(review.title!, { exact: true }).waitFor();

    await sections.getByRole('link', { name: 'Reports' }).click();
    const card = page.getByRole('list', { name: 'Reports' }).getByRole('listitem').filter({ hasText: note });
    await card.waitFor();
    expect(await card.textContent()).toContain(review.title);
    expect(await card.textContent()).toContain('Spam');
    expect(await card.textContent()).toMatch(/GMT\+9/); // when it was reported, in the admin's zone
    await card.getByRole('button', { name: 'Hide', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Content hidden and report closed.' }).waitFor();
    await card.waitFor({ state: 'detached' }); // no longer OPEN
    // Focus went with the pressed button's card: it lands in the list (the next card), not on <body>.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.closest('ul')?.getAttribute('aria-label')))
      .toBe('Reports');

    await page.getByLabel('Status').selectOption('HIDDEN');
    await page
      .getByRole('list', { name: 'Reports' })
      .getByRole('listitem')
      .filter({ hasText: note })
      .waitFor();

    // After: gone from LATEST for people and for the console alike (the server leaves hidden
    // reviews out of feeds, for admins too: nothing is filtered in the page, so pages stay full).
    expect((await latest(demo)).map((r) => r.id)).not.toContain(review.id);
    expect((await latest()).map((r) => r.id)).not.toContain(review.id);
    await sections.getByRole('link', { name: 'Reviews' }).click();
    await latestList.getByRole('listitem').first().waitFor();
    expect(await latestList.getByText(review.title!, { exact: true }).count()).toBe(0);
    expect(await latestList.getByRole('listitem').count()).toBe(20);

    // The author's list still has it, badged Hidden, with Unhide, which brings it back.
    await page.getByRole('link', { name: 'Reviews by author' }).click();
    await page.getByLabel('Find a user by nickname or email').fill(review.author.nickname);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: `Choose ${review.author.nickname}`, exact: true }).click();
    const mine = page
      .getByRole('list', { name: `Reviews by ${review.author.nickname}` })
      .getByRole('listitem')
      .filter({ hasText: review.title! });
    await mine.waitFor();
    expect(await mine.getByText('Hidden', { exact: true }).count()).toBe(1);
    await mine.getByRole('button', { name: 'Unhide', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Review shown again.' }).waitFor();
    await mine.getByRole('button', { name: 'Hide', exact: true }).waitFor();
    expect(await mine.getByText('Hidden', { exact: true }).count()).toBe(0);
    expect((await latest()).map((r) => r.id)).toContain(review.id);
    await context.close();
  }, 60_000);

  it('refuses a user who is not an admin, saying so, and revokes their session', async () => {
    const { context, page } = await openConsole();
    // The refresh token the console was handed at log-in, as it came off the wire.
    const loggedIn = page.waitForResponse((response) => !!response.request().postData()?.includes('logIn'));
    await logInAs(page, DEMO_LOGIN);
    const handedOut = ((await (await loggedIn).json()) as Answer<{ logIn: { refreshToken: string } }>).data!
      .logIn.refreshToken;
    const alert = page.getByRole('alert').filter({ hasText: 'not an administrator' });
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      'This account is not an administrator: only admins can use the console. You have been logged out.',
    );
    expect(await page.evaluate((key) => sessionStorage.getItem(key), SESSION_KEY)).toBeNull();
    // Revoked, not just forgotten: the gateway refuses to refresh it.
    expect(await refreshCode(handedOut)).toBe('UNAUTHENTICATED');
    await context.close();
  }, 30_000);

  it('logs out a kept session whose account the gateway no longer calls an admin', async () => {
    // A session of the demo user that claims ADMIN (as one kept from before a demotion would):
    // the console asks `me` on start-up and believes the gateway, not the stored role.
    const demo = await logInSession(DEMO_LOGIN);
    const { context, page } = await openConsole();
    await page.getByLabel('Email').waitFor();
    await page.evaluate(([key, session]) => sessionStorage.setItem(key, session), [
      SESSION_KEY,
      JSON.stringify({ ...demo, user: { ...demo.user, role: 'ADMIN' } }),
    ] as const);
    await page.reload(); // same tab: the session is kept, then refused
    await page.getByRole('alert').filter({ hasText: 'not an administrator' }).waitFor();
    expect(await page.evaluate((key) => sessionStorage.getItem(key), SESSION_KEY)).toBeNull();
    expect(await refreshCode(demo.refreshToken)).toBe('UNAUTHENTICATED');
    await context.close();
  }, 30_000);

  it('keeps the session across a reload but not in a copy of the tab', async () => {
    const { context, page } = await openConsole();
    await logInAs(page, ADMIN_LOGIN);
    await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    expect(await page.title()).toBe('Reports · Moim admin');

    // From the keyboard: the first Tab reaches the skip link, Enter takes focus past the header.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.closest('main')?.id)).toBe('main');

    // "Duplicate tab" copies sessionStorage (and, in some browsers, window.name): a second tab
    // with both copied must not use the first one's single-use refresh token.
    const copied = await page.evaluate(() => ({ name: window.name, items: { ...sessionStorage } }));
    expect(copied.items[SESSION_KEY]).toBeDefined();
    const copy = await context.newPage();
    await copy.goto(`${origin}/admin/`);
    await copy.getByLabel('Email').waitFor();
    await copy.evaluate(({ name, items }) => {
      window.name = name;
      for (const [key, value] of Object.entries(items)) sessionStorage.setItem(key, value);
    }, copied);
    await copy.reload();
    await copy.getByLabel('Email').waitFor();
    expect(await copy.evaluate((key) => sessionStorage.getItem(key), SESSION_KEY)).toBeNull();
    expect(await copy.evaluate(() => window.name)).not.toBe(copied.name);
    // The first tab still works with its session: the users list needs a valid token.
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('table', { name: 'Users' }).getByRole('link').first().waitFor();
    expect(await page.getByText('Log in again', { exact: false }).count()).toBe(0);
    expect(await page.evaluate((key) => sessionStorage.getItem(key), SESSION_KEY)).not.toBeNull();

    // In Korean: the page, its title and its dates (in the browser's zone, Seoul).
    await page.getByLabel('Language').selectOption('ko');
    await page.getByRole('heading', { name: '사용자', level: 1 }).waitFor();
    expect(await page.title()).toBe('사용자 · 모임 관리자');
    expect(await page.getByRole('table', { name: '사용자' }).locator('time').first().innerText()).toMatch(
      /^\d{4}년 \d{1,2}월 \d{1,2}일 \d{2}:\d{2} GMT\+9$/,
    );
    await context.close();
  }, 30_000);

  it('writes a review on behalf of a user, found by nickname, on a product found by name', async () => {
    const demo = await logIn(DEMO_LOGIN);
    const { feed } = await gql<{
      feed: { edges: Array<{ node: { subject: { id: string; name: string } } }> };
    }>('{ feed(tab: LATEST, first: 1) { edges { node { subject { ... on Product { id name } } } } } }');
    const product = feed.edges[0]!.node.subject;
    const body = `Written by the admin for demo at ${Date.now()}`;

    const { context, page } = await openConsole();
    // Log-in from the keyboard: the fields in tab order, Enter to send.
    await page.getByLabel('Email').focus();
    await page.keyboard.type(ADMIN_LOGIN.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN_LOGIN.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Reviews' }).click();
    await page.getByRole('link', { name: 'Write a review on behalf of a user' }).click();

    await page.getByLabel('Find a user by nickname or email').fill('demo');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Choose demo', exact: true }).click();
    await page.getByLabel('Find a place or product by name').fill(product.name);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: `Choose ${product.name}`, exact: true }).click();
    await page.getByLabel('Rating (1–5)').fill('4');
    await page.getByLabel('Text').fill(body);
    await page.getByRole('button', { name: 'Publish review' }).click();
    await page.getByRole('status').filter({ hasText: 'Review published on behalf of demo.' }).waitFor();

    type Mine = { me: { nickname: string; reviews: { edges: Array<{ node: Record<string, unknown> }> } } };
    const { me } = await gql<Mine>(
      '{ me { nickname reviews(first: 1) { edges { node { body rating author { nickname } subject { ... on Product { id } } } } } } }',
      {},
      demo,
    );
    expect(me.reviews.edges[0]!.node).toEqual({
      body,
      rating: 4,
      author: { nickname: 'demo' },
      subject: { id: product.id },
    });
    await context.close();
  }, 60_000);

  it('runs a query in the bundled explorer as the admin, with no request leaving the gateway', async () => {
    const { context, page, requests, problems } = await openConsole();
    await logInAs(page, ADMIN_LOGIN);
    await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    // The explorer's schema: the IntrospectionQuery GraphiQL sends, with the admin's token.
    const introspection = page.waitForResponse(
      (response) => !!response.request().postData()?.includes('__schema'),
    );
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Explorer' }).click();
    const introspected = await introspection;
    expect(introspected.request().headers().authorization).toMatch(/^Bearer \S+$/);
    expect(introspected.status()).toBe(200);
    const schema = (await introspected.json()) as Answer<{ __schema?: { queryType: { name: string } } }>;
    expect(schema.errors).toBeUndefined();
    expect(schema.data?.__schema?.queryType.name).toBe('Query');

    // The query, which the explorer does not open with: the answer shows what was typed ran.
    const editor = page.locator('.graphiql-query-editor .monaco-editor').first();
    await editor.waitFor({ timeout: 20_000 });
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('{ me { nickname role } }');
    await page.getByRole('button', { name: /Execute query/ }).click();
    const response = page.locator('.graphiql-response');
    const answer = async () => (await response.innerText()).replace(/\s+/g, '');
    await expect.poll(answer, { timeout: 20_000 }).toContain('"me":');
    expect(await answer()).toContain('"me":{"nickname":"admin","role":"ADMIN"}');
    expect(await answer()).not.toContain('"reports"');

    // GraphiQL kept its tabs in this tab's sessionStorage, nothing in localStorage, and log-out
    // clears them.
    const graphiqlKeys = (where: 'localStorage' | 'sessionStorage') =>
      page.evaluate((w) => Object.keys(window[w]).filter((key) => key.startsWith('graphiql:')), where);
    expect(await graphiqlKeys('localStorage')).toEqual([]);
    expect(await graphiqlKeys('sessionStorage')).toContain('graphiql:tabState');
    // GraphiQL saves its tabs half a second after the last keystroke: a log-out right after
    // typing must not be followed by that write.
    await editor.click();
    await page.keyboard.insertText(' # typed just before logging out');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Email').waitFor();
    await page.waitForTimeout(1_000);
    expect(await graphiqlKeys('sessionStorage')).toEqual([]);

    const hosts = new Set(requests.map((url) => new URL(url).origin));
    expect([...hosts]).toEqual([origin]);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
