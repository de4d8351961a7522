import { badInput } from './errors';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Keyset {
  createdAt: Date;
  id: string;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export function pageSize(first: number | null | undefined): number {
  if (first == null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, 'first');
  }
  return first;
}

/** Checks a page's arguments (BAD_USER_INPUT for a bad `first` or `after`) before any query. */
export function pageOf(args: PageArgs): { size: number; after: Keyset | null } {
  return { size: pageSize(args.first), after: args.after ? decodeCursor(args.after) : null };
}

/** Cursors are opaque to clients: base64url of "<epoch ms>:<id>". */
export function encodeCursor({ createdAt, id }: Keyset): string {
  return Buffer.from(`${createdAt.getTime()}:${id}`).toString('base64url');
}

/**
 * No row is older (the demo's imported reviews start in 2000): a cursor with an earlier time was
 * never issued.
 */
export const CURSOR_EARLIEST = Date.UTC(1990, 0, 1);
/** How far ahead of the clock a row's time may be (clock skew, rows dated ahead by tests or imports). */
export const CURSOR_FUTURE_SLACK_MS = 366 * 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads a cursor back, refusing any that no page could have issued: a time outside the years
 * rows can have (a far-past or far-future keyset silently reads an empty or a whole page), or an
 * id that is not one of ours (ids are UUIDs, see newId).
 */
export function decodeCursor(cursor: string, now = Date.now()): Keyset {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const sep = text.indexOf(':');
  const ms = Number(text.slice(0, sep));
  const id = text.slice(sep + 1);
  if (
    sep < 1 ||
    !Number.isSafeInteger(ms) ||
    ms < CURSOR_EARLIEST ||
    ms > now + CURSOR_FUTURE_SLACK_MS ||
    !UUID.test(id)
  )
    throw badInput('after is not a valid cursor', 'after');
  return { createdAt: new Date(ms), id };
}

/** A place in a ranked order (search results): a small rank, then sort keys, then the row's id. */
export interface RankedPosition {
  rank: number;
  keys: string[];
  id: string;
}

const MAX_RANK = 9;
const MAX_KEYS = 4;
const MAX_KEY_LENGTH = 64;

/** Cursors of ranked lists are opaque too: base64url of `{"r":rank,"k":[keys],"id":id}`. */
export function encodeRankedCursor(p: RankedPosition): string {
  return Buffer.from(JSON.stringify({ r: p.rank, k: p.keys, id: p.id })).toString('base64url');
}

/** Reads a ranked cursor back, refusing any that no page could have issued (as decodeCursor does). */
export function decodeRankedCursor(cursor: string): RankedPosition {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = null;
  }
  const { r, k, id } = (value ?? {}) as { r?: unknown; k?: unknown; id?: unknown };
  if (
    !Number.isInteger(r) ||
    (r as number) < 0 ||
    (r as number) > MAX_RANK ||
    !Array.isArray(k) ||
    k.length > MAX_KEYS ||
    !k.every((key) => typeof key === 'string' && key.length <= MAX_KEY_LENGTH) ||
    typeof id !== 'string' ||
    !UUID.test(id)
  )
    throw badInput('after is not a valid cursor', 'after');
  return { rank: r as number, keys: k as string[], id };
}

/** Any cursor a page could have issued, keyset or ranked: the gateway checks `after` with it. */
export function checkCursor(cursor: string): void {
  try {
    decodeCursor(cursor);
  } catch {
    decodeRankedCursor(cursor);
  }
}

/**
 * Builds a connection from rows fetched with `limit + 1`: the extra row only tells whether
 * another page exists.
 */
export function toConnection<T>(rows: T[], size: number, keyOf: (row: T) => Keyset): Connection<T> {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ node, cursor: encodeCursor(keyOf(node)) }));
  return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
}
