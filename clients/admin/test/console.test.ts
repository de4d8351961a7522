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

async function gql<T>(query: string, variables: object = {}, token?: string): Promise<T> {
  const res = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const logIn = async (login: { email: string; password: string }) =>
  (
    await gql<{ logIn: { accessToken: string } }>(
      'mutation($i: LogInInput!) { logIn(input: $i) { accessToken } }',
      { i: login },
    )
  ).logIn.accessToken;

type FeedReview = { id: string; title: string | null; author: { nickname: string } };
const latest = async (token?: string) =>
  (
    await gql<{ feed: { edges: Array<{ node: FeedReview }> } }>(
      '{ feed(tab: LATEST, first: 20) { edges { node { id title author { nickname } } } } }',
      {},
      token,
    )
  ).feed.edges.map((e) => e.node);

/** A fresh browser profile in English and Seoul time, recording every request it makes. */
async function openConsole(): Promise<{ context: BrowserContext; page: Page; requests: string[] }> {
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'Asia/Seoul' });
  const page = await context.newPage();
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(`${origin}/admin/`);
  return { context, page, requests };
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

    await page.getByLabel('Status').selectOption('HIDDEN');
    await page
      .getByRole('list', { name: 'Reports' })
      .getByRole('listitem')
      .filter({ hasText: note })
      .waitFor();

    // After: gone from LATEST as users see it; still there, marked hidden, for the admin who asks.
    await sections.getByRole('link', { name: 'Reviews' }).click();
    await latestList.getByRole('listitem').first().waitFor();
    expect(await latestList.getByText(review.title!, { exact: true }).count()).toBe(0);
    await page.getByLabel('Show hidden reviews').check();
    const hidden = latestList.getByRole('listitem').filter({ hasText: review.title! });
    await hidden.waitFor();
    expect(await hidden.textContent()).toContain('Hidden');

    expect((await latest(demo)).map((r) => r.id)).not.toContain(review.id);
    expect((await latest()).map((r) => r.id)).not.toContain(review.id);
    await context.close();
  }, 60_000);

  it('refuses a user who is not an admin, saying so, and ends their session', async () => {
    const { context, page, requests } = await openConsole();
    const bodies: string[] = [];
    page.on('request', (request) => bodies.push(request.postData() ?? ''));
    await logInAs(page, DEMO_LOGIN);
    const alert = page.getByRole('alert').filter({ hasText: 'not an administrator' });
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      'This account is not an administrator: only admins can use the console. You have been logged out.',
    );
    expect(await page.getByRole('navigation', { name: 'Sections' }).count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    // The refresh token the log-in handed out was revoked, not just forgotten.
    expect(bodies.some((b) => b.includes('logOut'))).toBe(true);
    expect(requests.length).toBeGreaterThan(0);
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
    // The keyboard alone: the form fields in order, Enter to send.
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
    const { context, page, requests } = await openConsole();
    await logInAs(page, ADMIN_LOGIN);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Explorer' }).click();
    const editor = page.locator('.graphiql-query-editor .monaco-editor').first();
    await editor.waitFor({ timeout: 20_000 });
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('{ me { nickname role } }');
    await page.getByRole('button', { name: /Execute query/ }).click();
    const response = page.locator('.graphiql-response');
    await response.getByText('"ADMIN"', { exact: true }).waitFor({ timeout: 20_000 });
    const answer = (await response.innerText()).replace(/\s+/g, '');
    expect(answer).toContain('"me":{"nickname":"admin","role":"ADMIN"}');
    // The explorer's schema came from the gateway's introspection, through the same fetcher.
    expect(requests.filter((url) => url === `${origin}/graphql`).length).toBeGreaterThanOrEqual(2);

    const hosts = new Set(requests.map((url) => new URL(url).origin));
    expect([...hosts]).toEqual([origin]);
    await context.close();
  }, 60_000);
});
