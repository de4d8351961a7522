import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@moim/kit/testing';
import type { RunningService } from '@moim/kit';
import { reindex, SearchDocumentEntity, type SearchDeps } from '@moim/search';
import { codeOf, ok, startGraph, type Graph } from '../src';

let graph: Graph;
beforeAll(async () => {
  graph = await startGraph({ env: { search: { SEARCH_POLL_MS: '100' } } });
});
afterAll(() => graph?.stop());

/** A word no other test writes: each test finds only its own documents. */
const word = () =>
  `w${randomBytes(5)
    .toString('hex')
    .replace(/\d/g, (d) => 'ghijklmnop'[Number(d)]!)}`;

const SEARCH = `query($q: String!, $types: [SearchType!], $first: Int, $after: String) {
  search(query: $q, types: $types, first: $first, after: $after) {
    edges { cursor node {
      score
      highlights { field snippet }
      node {
        __typename
        ... on Review { id body author { id nickname } }
        ... on User { id nickname }
        ... on Post { id title }
        ... on Product { id name }
        ... on Place { id name }
      }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface Hit {
  score: number;
  highlights: Array<{ field: string; snippet: string }>;
  node: {
    __typename: string;
    id: string;
    body?: string;
    nickname?: string;
    author?: { nickname: string };
  } | null;
}
interface SearchResult {
  search: {
    edges: Array<{ cursor: string; node: Hit }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

const searchAs = (q: string, token?: string, variables: Record<string, unknown> = {}) =>
  graph.gql<SearchResult>(SEARCH, { q, ...variables }, token);

const hitsOf = async (q: string, token?: string, variables: Record<string, unknown> = {}) =>
  ok(await searchAs(q, token, variables)).search.edges.map((e) => e.node);

const idsOf = async (q: string, token?: string) => (await hitsOf(q, token)).map((h) => h.node?.id);

/** Waits until the search for `q` (as `token`) satisfies `check`: indexing is asynchronous. */
async function until(q: string, check: (ids: Array<string | undefined>) => boolean, token?: string) {
  await graph.settled();
  return eventually(async () => {
    const ids = await idsOf(q, token);
    return check(ids) ? ids : null;
  });
}

async function createReview(token: string, body: string, title?: string): Promise<string> {
  const product = ok(
    await graph.gql<{ createProduct: { id: string } }>(
      'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }',
      { i: { name: `Product ${word()}`, category: 'snack' } },
      token,
    ),
  ).createProduct.id;
  return ok(
    await graph.gql<{ createReview: { id: string } }>(
      'mutation($i: CreateReviewInput!) { createReview(input: $i) { id } }',
      {
        i: title
          ? { kind: 'DADALOG', title, body, rating: 5, productId: product }
          : { kind: 'SOSOLOG', body, rating: 4, productId: product },
      },
      token,
    ),
  ).createReview.id;
}

/** `_entities` operations a subgraph has served: the batches the gateway asked it for. */
async function entityBatches(service: RunningService): Promise<number> {
  const { values } = await service.metrics.rootFields.get();
  return values.find((v) => v.labels.field === '_entities')?.value ?? 0;
}

describe('through the gateway', () => {
  it('finds a new review within seconds, with its author resolved by social, and forgets it once hidden or deleted', async () => {
    const author = await graph.person('searcher');
    const admin = await graph.person('searchadmin');
    const adminToken = await graph.makeAdmin(admin.id);
    const key = word();
    const id = await createReview(author.token, `Crispy ${key} noodles, worth the queue`);

    await until(key, (ids) => ids.includes(id));
    const [hit] = await hitsOf(key);
    expect(hit!.node).toMatchObject({ __typename: 'Review', id, author: { nickname: author.nickname } });
    expect(hit!.highlights).toContainEqual({
      field: 'body',
      snippet: expect.stringContaining(`<em>${key}</em>`),
    });
    expect(hit!.score).toBeGreaterThan(0);

    ok(await graph.gql('mutation($id: ID!) { hideReview(id: $id) { id } }', { id }, adminToken));
    await until(key, (ids) => !ids.includes(id));
    ok(await graph.gql('mutation($id: ID!) { unhideReview(id: $id) { id } }', { id }, adminToken));
    await until(key, (ids) => ids.includes(id));

    ok(await graph.gql('mutation($id: ID!) { deleteReview(id: $id) }', { id }, author.token));
    await until(key, (ids) => ids.length === 0);
  });

  it('follows edits: the old text no longer finds the review, the new one does', async () => {
    const author = await graph.person('editor');
    const [before, after] = [word(), word()];
    const id = await createReview(author.token, `A ${before} sandwich`);
    await until(before, (ids) => ids.includes(id));
    ok(
      await graph.gql(
        'mutation($id: ID!, $i: UpdateReviewInput!) { updateReview(id: $id, input: $i) { id } }',
        { id, i: { body: `A ${after} sandwich` } },
        author.token,
      ),
    );
    await until(after, (ids) => ids.includes(id));
    expect(await idsOf(before)).not.toContain(id);
  });

  it("leaves out a blocked user's reviews for the blocker only, and brings them back on unblock", async () => {
    const [blocker, blocked, other] = [
      await graph.person('blocker'),
      await graph.person('blockee'),
      await graph.person('bystander'),
    ];
    const key = word();
    const id = await createReview(blocked.token, `Tteokbokki ${key} stall`);
    await until(key, (ids) => ids.includes(id), blocker.token);

    ok(await graph.gql('mutation($u: ID!) { block(userId: $u) { id } }', { u: blocked.id }, blocker.token));
    await until(key, (ids) => !ids.includes(id), blocker.token);
    expect(await idsOf(key, other.token)).toContain(id);
    expect(await idsOf(key)).toContain(id); // anonymous

    ok(await graph.gql('mutation($u: ID!) { unblock(userId: $u) { id } }', { u: blocked.id }, blocker.token));
    await until(key, (ids) => ids.includes(id), blocker.token);
  });

  it('finds users by nickname and posts by title, filters by type, and resolves each page with one _entities batch per owner', async () => {
    const key = word();
    const people = [];
    for (let i = 0; i < 3; i++) people.push(await graph.person(`${key}n`));
    const reviews = [];
    for (let i = 0; i < 3; i++) reviews.push(await createReview(people[i]!.token, `${key}n ${i} dumplings`));
    const post = ok(
      await graph.gql<{ createPost: { id: string } }>(
        'mutation($i: CreatePostInput!) { createPost(input: $i) { id } }',
        { i: { board: 'general', title: `Study group ${key}n`, body: 'Fridays at the library' } },
        people[0]!.token,
      ),
    ).createPost.id;
    await until(`${key}n`, (ids) => ids.length === 7);

    const [social, review] = [graph.service('social'), graph.service('review')];
    const before = { social: await entityBatches(social), review: await entityBatches(review) };
    const hits = await hitsOf(`${key}n`);
    expect(new Set(hits.map((h) => h.node!.__typename))).toEqual(new Set(['User', 'Review', 'Post']));
    expect(hits.every((h) => h.node !== null)).toBe(true);
    // Users and the post from social, the reviews (and their authors' nicknames: social again,
    // in the same plan's next step) — batched, never one call per hit.
    expect((await entityBatches(review)) - before.review).toBe(1);
    expect((await entityBatches(social)) - before.social).toBeLessThanOrEqual(2);

    const usersOnly = await hitsOf(`${key}n`, undefined, { types: ['USER'] });
    expect(usersOnly.map((h) => h.node!.id).sort()).toEqual(people.map((p) => p.id).sort());
    const postsAndReviews = await hitsOf(`${key}n`, undefined, { types: ['POST', 'REVIEW'] });
    expect(postsAndReviews.map((h) => h.node!.id).sort()).toEqual([post, ...reviews].sort());
  });

  it('pages through results without overlap, hasNextPage false on the last page', async () => {
    const author = await graph.person('pager');
    const key = word();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await createReview(author.token, `${key} bakery number ${i}`));
    await until(key, (found) => found.length === 5);
    const first = ok(await searchAs(key, undefined, { first: 2 })).search;
    expect(first.edges).toHaveLength(2);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = ok(await searchAs(key, undefined, { first: 2, after: first.pageInfo.endCursor })).search;
    const third = ok(await searchAs(key, undefined, { first: 2, after: second.pageInfo.endCursor })).search;
    expect(third.edges).toHaveLength(1);
    expect(third.pageInfo.hasNextPage).toBe(false);
    const seen = [...first.edges, ...second.edges, ...third.edges].map((e) => e.node.node!.id);
    expect(seen.sort()).toEqual(ids.sort());
  });

  it('ranks reviews containing every word above those containing one', async () => {
    const author = await graph.person('ranker');
    const [a, b] = [word(), word()];
    const one = await createReview(author.token, `${a} ${a} ${a} only the first word, many times`);
    const both = await createReview(author.token, `${a} and ${b} together`);
    await until(`${a} ${b}`, (ids) => ids.length === 2);
    expect(await idsOf(`${a} ${b}`)).toEqual([both, one]);
  });

  it('suggests names and titles by prefix', async () => {
    const key = word();
    const user = await graph.person(`${key}chef`);
    await until(key, (ids) => ids.includes(user.id));
    const res = ok(
      await graph.gql<{
        searchSuggestions: Array<{ text: string; type: string; node: { id: string } | null }>;
      }>(
        'query($p: String!) { searchSuggestions(prefix: $p, types: [USER]) { text type node { ... on User { id } } } }',
        { p: key.slice(0, 6) },
      ),
    ).searchSuggestions;
    expect(res).toContainEqual({ text: user.nickname, type: 'USER', node: { id: user.id } });

    // Someone who blocks them is not offered their name.
    const blocker = await graph.person('suggestblocker');
    ok(await graph.gql('mutation($u: ID!) { block(userId: $u) { id } }', { u: user.id }, blocker.token));
    await graph.settled();
    const suggested = async (token?: string) =>
      ok(
        await graph.gql<{ searchSuggestions: Array<{ text: string }> }>(
          'query($p: String!) { searchSuggestions(prefix: $p, types: [USER]) { text } }',
          { p: key.slice(0, 6) },
          token,
        ),
      ).searchSuggestions.map((s) => s.text);
    expect(await suggested(blocker.token)).not.toContain(user.nickname);
    expect(await suggested()).toContain(user.nickname);
  });

  it('refuses bad input with clear errors', async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ q: '   ' }, 'BAD_USER_INPUT', /query must not be empty/],
      [{ q: 'x'.repeat(5 * 1024) }, 'BAD_USER_INPUT', /too long/],
      [{ q: 'pizza', first: 10_000 }, 'BAD_USER_INPUT', /first.* must be between 1 and 100/],
      [{ q: 'pizza', after: 'not-a-cursor' }, 'BAD_USER_INPUT', /after/],
      [{ q: 'pizza', types: ['RECIPE'] }, 'BAD_USER_INPUT', /RECIPE/],
    ];
    for (const [variables, code, message] of cases) {
      const res = await graph.gql(SEARCH, variables);
      expect(codeOf(res), JSON.stringify(variables).slice(0, 80)).toBe(code);
      expect(res.errors![0]!.message).toMatch(message);
    }
  });
});

describe('reindex', () => {
  it('rebuilds from the owners: documents search never heard of come back, ones the owners lost go, and search answers throughout', async () => {
    const author = await graph.person('reindexer');
    const key = word();
    const kept = await createReview(author.token, `${key} gimbap`);
    await until(key, (ids) => ids.includes(kept));
    const search = graph.service<SearchDeps>('search');
    const db = search.deps.db;
    // As if the review's event had never arrived, and as if a document had outlived its owner's copy.
    await db.dataSource.query('DELETE FROM search_documents WHERE doc_key = ?', [`REVIEW:${kept}`]);
    const ghost = randomUUID();
    await db.dataSource.getRepository(SearchDocumentEntity).insert({
      docKey: `REVIEW:${ghost}`,
      kind: 'REVIEW',
      id: ghost,
      title: '',
      body: `${key} ghost`,
      authorId: null,
      popularity: 0,
      createdAt: new Date(),
      findable: true,
      version: '0',
      touchedAt: new Date(),
    });
    const before = search.deps.index();
    const progress: number[] = [];
    const summary = await reindex({
      db,
      urlOf: (name) => graph.subgraphUrl(name).replace(/\/graphql$/, ''),
      secret: search.deps.config.INTERNAL_SECRET,
      kinds: ['REVIEW'],
      onProgress: ({ done }) => progress.push(done),
    });
    expect(summary).toEqual([{ kind: 'REVIEW', seen: expect.any(Number), retired: 1 }]);
    expect(progress.at(-1)).toBe(summary[0]!.seen);
    await until(key, (ids) => ids.length === 1 && ids[0] === kept);
    // The generation changed: the replica built a new index from the tables and swapped it in.
    await eventually(() => search.deps.index() !== before);
    expect(await idsOf(key)).toEqual([kept]);
  });
});
