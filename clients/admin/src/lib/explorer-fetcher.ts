import { type MoimClient } from '@moim/sdk';
import { AdminMeDocument } from '@moim/sdk/admin';

export interface ExplorerRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/** A GraphQL answer as JSON: GraphiQL shows it as it is. */
export interface WireResult {
  data?: unknown;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
  extensions?: unknown;
}

/** Refresh this long before the access token expires, as the SDK does for its own requests. */
const SKEW_MS = 30_000;

/**
 * GraphiQL's fetcher: the operation as typed, posted to the same-origin gateway with the admin's
 * access token, and the gateway's answer shown as it came (data and errors together, extensions
 * and all). The token comes from the SDK's session; when it is about to expire or is refused, a
 * request through the SDK refreshes it (single-flight, shared with the rest of the console) and
 * the operation is sent once more.
 */
export function explorerFetcher(client: MoimClient, url = '/graphql') {
  const send = async (request: ExplorerRequest, headers: Record<string, string>, token: string | null) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({
        query: request.query,
        variables: request.variables ?? {},
        operationName: request.operationName ?? undefined,
      }),
    });
    const text = await response.text();
    let body: WireResult;
    try {
      body = JSON.parse(text) as WireResult;
    } catch {
      body = { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 500)}` }] };
    }
    return { status: response.status, body };
  };
  const refreshedToken = async () => {
    // Any request through the SDK renews an expiring or refused token before it goes out.
    await client.request(AdminMeDocument, {});
    return client.session()?.accessToken ?? null;
  };
  return async (
    request: ExplorerRequest,
    options?: { headers?: Record<string, unknown> },
  ): Promise<WireResult> => {
    const headers = Object.fromEntries(
      Object.entries(options?.headers ?? {}).map(([k, v]) => [k, String(v)]),
    );
    const session = await client.ready();
    let token = session?.accessToken ?? null;
    if (session && Date.parse(session.accessTokenExpiresAt) - Date.now() < SKEW_MS)
      token = await refreshedToken();
    const first = await send(request, headers, token);
    const refused = first.status === 401 && first.body.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED';
    if (!refused || !token) return first.body;
    return (await send(request, headers, await refreshedToken())).body;
  };
}
