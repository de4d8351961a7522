import { randomUUID, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EntityManager } from 'typeorm';
import type { SearchableChange, SearchDocument, SearchKind, ServiceName } from '@moim/events';
import { CALLER_HEADER, REQUEST_ID_HEADER, signCaller, verifyCaller, type Caller } from './caller';
import { readRawBody, type HttpRoute } from './http';
import type { Logger } from './logger';
import { recordEvent } from './outbox';

/**
 * What people can search for, from the side of the subgraphs that own it: they announce every
 * change (`searchable.changed` in their outbox, in the transaction of the change) and serve pages
 * of everything findable at `POST /internal/searchable`, from which `npm run reindex` rebuilds the
 * search index. Both paths build documents with the owner's one mapping.
 */

/** The subgraph that owns, announces and serves each kind (a caller signs for it). */
export const SEARCH_KIND_OWNERS: { readonly [K in SearchKind]: ServiceName } = {
  USER: 'social',
  POST: 'social',
  REVIEW: 'review',
  PLACE: 'review',
  PRODUCT: 'review',
  COURSE: 'course-catalog',
};

export const SEARCH_KINDS = Object.keys(SEARCH_KIND_OWNERS) as SearchKind[];

const isSearchKind = (value: unknown): value is SearchKind =>
  typeof value === 'string' && Object.hasOwn(SEARCH_KIND_OWNERS, value);

export interface SearchablePage {
  documents: SearchDocument[];
  /** Give it as `after` for the next page; null after the last one. */
  next: string | null;
}

/**
 * A subgraph's findable things (not hidden, not deleted, not cancelled), page by page in keyset
 * order of id: `after` is the `next` of the page before (null for the first).
 */
export interface SearchableSource {
  kinds: SearchKind[];
  page(kind: SearchKind, after: string | null, limit: number): Promise<SearchablePage>;
}

export const SEARCHABLE_PATH = '/internal/searchable';
export const MAX_SEARCHABLE_PAGE = 1000;

/** Changes per `searchable.changed` event: an import touching thousands of courses sends a few events. */
export const CHANGES_PER_EVENT = 500;
/**
 * Bytes of one event's JSON: the outbox keeps it in a TEXT column (65,535 bytes on MySQL, which
 * refuses more in strict mode), so a batch closes earlier when its documents are long.
 */
export const EVENT_PAYLOAD_BYTES = 60_000;

const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');
/** `{"changes":[]}`: what an event is besides its changes. */
const ENVELOPE_BYTES = bytesOf({ changes: [] });

/**
 * The change, cut to fit one event on its own: a document whose JSON exceeds `maxBytes` (a
 * 20,000-character course description in Hangul) loses the end of its body, which is the part
 * search can best do without. Any other change is returned as it is.
 */
export function fitChange(
  change: SearchableChange,
  maxBytes = EVENT_PAYLOAD_BYTES - ENVELOPE_BYTES,
): SearchableChange {
  const { document } = change;
  if (!document || bytesOf(change) <= maxBytes) return change;
  const codePoints = [...document.body];
  const withBody = (length: number) => ({
    ...change,
    document: { ...document, body: codePoints.slice(0, length).join('') },
  });
  // The longest prefix that fits; escapes (quotes, control characters) make bytes per code point vary.
  let [fits, tooLong] = [0, codePoints.length];
  while (tooLong - fits > 1) {
    const middle = Math.floor((fits + tooLong) / 2);
    if (bytesOf(withBody(middle)) <= maxBytes) fits = middle;
    else tooLong = middle;
  }
  return withBody(fits);
}

/** The document as both paths send it (cut as `fitChange` cuts it). */
export const fitDocument = (document: SearchDocument): SearchDocument =>
  fitChange({ kind: document.kind, id: document.id, document }).document!;

/**
 * The payloads of the `searchable.changed` events for `changes`, in order: at most
 * `CHANGES_PER_EVENT` changes and `EVENT_PAYLOAD_BYTES` bytes each.
 */
export function searchableEvents(
  changes: readonly SearchableChange[],
  limits: { changes?: number; bytes?: number } = {},
): Array<{ changes: SearchableChange[] }> {
  const maxChanges = limits.changes ?? CHANGES_PER_EVENT;
  const maxBytes = limits.bytes ?? EVENT_PAYLOAD_BYTES;
  const events: Array<{ changes: SearchableChange[] }> = [];
  let batch: SearchableChange[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const given of changes) {
    const change = fitChange(given, maxBytes - ENVELOPE_BYTES);
    const size = bytesOf(change);
    // +1: the comma before it
    if (batch.length && (batch.length >= maxChanges || bytes + 1 + size > maxBytes)) {
      events.push({ changes: batch });
      [batch, bytes] = [[], ENVELOPE_BYTES];
    }
    bytes += size + (batch.length ? 1 : 0);
    batch.push(change);
  }
  if (batch.length) events.push({ changes: batch });
  return events;
}

/**
 * Announces changes of searchable state in the caller's transaction (see `searchableEvents` for
 * how they are split); nothing is recorded for none.
 */
export async function recordSearchableChanges(
  manager: EntityManager,
  changes: readonly SearchableChange[],
): Promise<void> {
  for (const payload of searchableEvents(changes)) await recordEvent(manager, 'searchable.changed', payload);
}

/**
 * A page of a keyset query that read `limit + 1` rows in id order: the extra row only tells that
 * there is a next page.
 */
export function keysetPage(documents: SearchDocument[], limit: number): SearchablePage {
  const page = documents.slice(0, limit);
  return { documents: page, next: documents.length > limit ? page.at(-1)!.id : null };
}

/** Refuses at start a source serving kinds its service does not own (search would resolve them elsewhere). */
export function checkSearchableSource(service: ServiceName, source: SearchableSource): void {
  const strays = source.kinds.filter((kind) => SEARCH_KIND_OWNERS[kind] !== service);
  if (strays.length)
    throw new Error(
      `${service} serves searchable ${strays.join(', ')}, owned by ${strays.map((k) => SEARCH_KIND_OWNERS[k]).join(', ')}`,
    );
  if (new Set(source.kinds).size !== source.kinds.length)
    throw new Error(`${service} lists a searchable kind twice`);
}

export interface SearchableRequest {
  kind: SearchKind;
  after: string | null;
  limit: number;
}

export class SearchableRequestError extends Error {
  override name = 'SearchableRequestError';
}

/** The longest `after` a page could have issued: ids are UUIDs, this leaves room for others. */
const MAX_AFTER = 200;

/** Reads a request's body, refusing with the reason anything a page could not be read from. */
export function parseSearchableRequest(
  body: Buffer | string,
  service: ServiceName,
  kinds: readonly SearchKind[],
): SearchableRequest {
  const bad = (message: string) => new SearchableRequestError(message);
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    throw bad('The body must be JSON: { kind, after, limit }');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('The body must be an object: { kind, after, limit }');
  const { kind, after = null, limit } = value as Record<string, unknown>;
  if (!isSearchKind(kind))
    throw bad(`Unknown kind ${JSON.stringify(kind)}: one of ${SEARCH_KINDS.join(', ')}`);
  if (!kinds.includes(kind))
    throw bad(
      `${service} serves no ${kind} (it serves ${kinds.join(', ') || 'none'}); ${SEARCH_KIND_OWNERS[kind]} does`,
    );
  if (after !== null && (typeof after !== 'string' || !after || after.length > MAX_AFTER))
    throw bad(`after must be null or the next of a page (a string of 1 to ${MAX_AFTER} characters)`);
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_SEARCHABLE_PAGE)
    throw bad(`limit must be an integer from 1 to ${MAX_SEARCHABLE_PAGE}`);
  return { kind, after, limit: limit as number };
}

/** What the route answers when it refuses: the status tells the kind of refusal. */
export interface SearchableRefusal {
  error: string;
  code: 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_REQUEST' | 'INTERNAL_SERVER_ERROR';
}

/**
 * `POST /internal/searchable` of a service with a searchable source. Like `/graphql`, it trusts
 * only a caller signed for this service over the exact body (the gateway's header, see caller.ts);
 * the caller must be an admin. Answers `SearchablePage`, or a `SearchableRefusal` with 401, 403,
 * 400 or 500.
 */
export function searchableRoute(options: {
  service: ServiceName;
  source: SearchableSource;
  key: KeyObject;
  logger: Logger;
}): HttpRoute {
  const { service, source, key, logger } = options;
  const answer = (res: ServerResponse, status: number, body: SearchablePage | SearchableRefusal) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  return {
    name: 'searchable',
    prefix: SEARCHABLE_PATH,
    methods: ['POST'],
    async handle(req: IncomingMessage, res: ServerResponse, requestId: string) {
      const body = await readRawBody(req);
      let caller: Caller;
      try {
        caller = verifyCaller(req.headers[CALLER_HEADER], key, service, body);
      } catch (err) {
        return answer(res, 401, { error: (err as Error).message, code: 'UNAUTHENTICATED' });
      }
      if (caller.role !== 'ADMIN')
        return answer(res, 403, { error: 'Only admins can read searchable pages', code: 'FORBIDDEN' });
      let request: SearchableRequest;
      try {
        request = parseSearchableRequest(body, service, source.kinds);
      } catch (err) {
        if (!(err instanceof SearchableRequestError)) throw err;
        return answer(res, 400, { error: err.message, code: 'BAD_REQUEST' });
      }
      try {
        const page = await source.page(request.kind, request.after, request.limit);
        answer(res, 200, { documents: page.documents.map(fitDocument), next: page.next });
      } catch (err) {
        logger.error({ err, requestId, kind: request.kind }, 'searchable page failed');
        answer(res, 500, { error: 'Internal error', code: 'INTERNAL_SERVER_ERROR' });
      }
    },
  };
}

/** A refused or failed page: `status` is the HTTP status (0 when the service could not be reached). */
export class SearchablePageError extends Error {
  override name = 'SearchablePageError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads one page of `kind` from the service at `baseUrl` (its own URL, not the gateway's), signed
 * with the internal secret as a system admin for the kind's owner. Throws a SearchablePageError
 * with the status and the service's message when refused.
 */
export async function fetchSearchablePage(
  baseUrl: string,
  secret: string | KeyObject,
  request: SearchableRequest,
  options: { audience?: ServiceName; requestId?: string; timeoutMs?: number } = {},
): Promise<SearchablePage> {
  const audience = options.audience ?? SEARCH_KIND_OWNERS[request.kind];
  if (!audience) throw new SearchablePageError(0, `No service owns the search kind ${request.kind}`);
  const requestId = options.requestId ?? randomUUID();
  const body = JSON.stringify({ kind: request.kind, after: request.after, limit: request.limit });
  const caller: Caller = { userId: null, role: 'ADMIN', ip: null, requestId };
  const url = `${baseUrl.replace(/\/+$/, '')}${SEARCHABLE_PATH}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [CALLER_HEADER]: signCaller(caller, secret, audience, body),
        [REQUEST_ID_HEADER]: requestId,
      },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (err) {
    throw new SearchablePageError(0, `${url} could not be reached: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // not JSON: the text as it came
    }
    throw new SearchablePageError(res.status, `${res.status} from ${url}: ${message}`);
  }
  return JSON.parse(text) as SearchablePage;
}
