import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { getOperationAST, print, type DocumentNode } from 'graphql';
import { MoimGraphQLError, type MoimErrorEntry } from './errors';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** How long a request may take, answer read included, before it fails with NETWORK_ERROR. */
export const DEFAULT_TIMEOUT_MS = 15_000;
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface HttpOptions {
  fetch: FetchLike;
  url: string;
  timeoutMs: number;
}

/** A GraphQL request body as sent on the wire. */
export interface WireRequest {
  query: string;
  variables?: object | null;
  operationName?: string | null;
}

/** The gateway's answer: its HTTP status and its JSON body, undefined when it was not JSON. */
export interface WireAnswer {
  status: number;
  statusText: string;
  text: string;
  body: { data?: unknown; errors?: MoimErrorEntry[]; [key: string]: unknown } | undefined;
}

/**
 * Runs `work` with an AbortSignal that fires after `ms`, and gives up on it then even when it
 * ignores the signal (a custom fetch): a hung request must not hold its caller — or, for a
 * refresh, every caller waiting on it — forever. AbortController and setTimeout rather than
 * AbortSignal.timeout, which React Native's AbortSignal does not have.
 */
export async function withTimeout<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  // No limit (Infinity): no timer. setTimeout takes a 32-bit delay and fires at once past it.
  if (!Number.isFinite(ms)) return work(controller.signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        const err = new MoimGraphQLError(`Network error: no answer within ${ms} ms`, {
          code: 'NETWORK_ERROR',
        });
        reject(err);
        controller.abort(err);
      },
      Math.min(Math.max(ms, 0), MAX_TIMER_MS),
    );
  });
  try {
    return await Promise.race([work(controller.signal), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** One POST to the gateway; only a failure to get an answer at all rejects (NETWORK_ERROR). */
export async function postRaw(
  http: HttpOptions,
  request: WireRequest,
  accessToken: string | null,
): Promise<WireAnswer> {
  // content-type application/json also satisfies the gateway's CSRF prevention.
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  const body = JSON.stringify({
    query: request.query,
    variables: request.variables ?? {},
    operationName: request.operationName ?? undefined,
  });
  try {
    return await withTimeout(http.timeoutMs, async (signal) => {
      const response = await http.fetch(http.url, { method: 'POST', headers, body, signal });
      const text = await response.text();
      let parsed: WireAnswer['body'];
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) parsed = undefined;
      return { status: response.status, statusText: response.statusText, text, body: parsed };
    });
  } catch (err) {
    if (err instanceof MoimGraphQLError) throw err;
    throw new MoimGraphQLError(`Network error: ${(err as Error).message}`, {
      code: 'NETWORK_ERROR',
      cause: err,
    });
  }
}

/** An answer that is not GraphQL JSON (a proxy's HTML error page…). */
export const notGraphQL = (answer: WireAnswer) =>
  new MoimGraphQLError(`HTTP ${answer.status}: ${answer.text.slice(0, 200) || answer.statusText}`, {
    code: `HTTP_${answer.status}`,
    status: answer.status,
  });

const printed = new WeakMap<DocumentNode, { query: string; operationName: string | undefined }>();

function source(document: DocumentNode) {
  let entry = printed.get(document);
  if (!entry) {
    entry = { query: print(document), operationName: getOperationAST(document)?.name?.value };
    printed.set(document, entry);
  }
  return entry;
}

/** One POST of an operation; GraphQL errors and non-GraphQL answers become MoimGraphQLError. */
export async function post<TResult, TVariables>(
  http: HttpOptions,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables | undefined,
  accessToken: string | null,
): Promise<TResult> {
  const answer = await postRaw(http, { ...source(document), variables: variables ?? {} }, accessToken);
  const { body, status } = answer;
  if (!body) throw notGraphQL(answer);
  const errors = body.errors ?? [];
  const first = errors[0];
  if (first) {
    throw new MoimGraphQLError(first.message, {
      code: first.extensions?.code ?? `HTTP_${status}`,
      errors,
      status,
      data: body.data,
    });
  }
  if (status < 200 || status > 299 || body.data == null) {
    throw new MoimGraphQLError(`HTTP ${status} without data`, { code: `HTTP_${status}`, status });
  }
  return body.data as TResult;
}
