import { LoggedOutError, MoimGraphQLError, type MoimClient } from '@moim/sdk';

export interface ExplorerRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

type Answer = Awaited<ReturnType<MoimClient['execute']>>;

/**
 * GraphiQL's fetcher: the operation as typed, through the SDK's `execute` (the admin's session,
 * refreshed single-flight with the rest of the console, the operation sent once more after a
 * 401), and the gateway's answer shown as it came, errors and extensions included. An answer
 * that is not GraphQL (no network, a proxy's HTML page) is shown as an error in the same shape; a
 * session that has ended is thrown, and the console goes back to its log-in page.
 */
export function explorerFetcher(client: Pick<MoimClient, 'execute'>) {
  return async (request: ExplorerRequest): Promise<Answer> => {
    try {
      return await client.execute({
        query: request.query,
        ...(request.variables ? { variables: request.variables } : {}),
        ...(request.operationName ? { operationName: request.operationName } : {}),
      });
    } catch (err) {
      if (err instanceof LoggedOutError || !(err instanceof MoimGraphQLError)) throw err;
      return { errors: [{ message: err.message, extensions: { code: err.code } }] };
    }
  };
}
