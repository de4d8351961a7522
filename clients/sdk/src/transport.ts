import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { getOperationAST, print, type DocumentNode } from 'graphql';
import { MoimGraphQLError, type MoimErrorEntry } from './errors';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

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
  fetchImpl: FetchLike,
  url: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables | undefined,
  accessToken: string | null,
): Promise<TResult> {
  const { query, operationName } = source(document);
  // content-type application/json also satisfies the gateway's CSRF prevention.
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables: variables ?? {}, operationName }),
    });
  } catch (err) {
    throw new MoimGraphQLError(`Network error: ${(err as Error).message}`, {
      code: 'NETWORK_ERROR',
      cause: err,
    });
  }
  const text = await response.text();
  let body: { data?: TResult | null; errors?: MoimErrorEntry[] } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!body || typeof body !== 'object') {
    throw new MoimGraphQLError(`HTTP ${response.status}: ${text.slice(0, 200) || response.statusText}`, {
      code: `HTTP_${response.status}`,
      status: response.status,
    });
  }
  const errors = body.errors ?? [];
  const first = errors[0];
  if (first) {
    throw new MoimGraphQLError(first.message, {
      code: first.extensions?.code ?? `HTTP_${response.status}`,
      errors,
      status: response.status,
      data: body.data,
    });
  }
  if (!response.ok || body.data == null) {
    throw new MoimGraphQLError(`HTTP ${response.status} without data`, {
      code: `HTTP_${response.status}`,
      status: response.status,
    });
  }
  return body.data;
}
