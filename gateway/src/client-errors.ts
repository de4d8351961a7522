import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { CLIENT_ERROR_CODES, CLIENT_ERROR_EXTENSIONS, type Logger } from '@moim/kit';

/** Apollo's own pattern for a suggestion ("… Did you mean "me"?"). */
const SUGGESTION = / ?Did you mean(.+?)\?$/;

const isClientCode = (code: unknown) => typeof code === 'string' && CLIENT_ERROR_CODES.has(code);

/**
 * What a client is told of an error in production: the message of an error it caused, a generic
 * one otherwise, and only `code` and the documented extensions, never which subgraph failed or
 * its URL, status and body (`serviceName`, `response`): the log has those, with the request id.
 */
export function maskForProduction(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR';
  const extensions: Record<string, unknown> = { code };
  for (const key of CLIENT_ERROR_EXTENSIONS)
    if (formatted.extensions?.[key] !== undefined) extensions[key] = formatted.extensions[key];
  return {
    // hideSchemaDetailsFromClientErrors strips suggestions from validation errors only; variable
    // coercion suggests enum values too.
    message: isClientCode(code) ? formatted.message.replace(SUGGESTION, '') : 'Internal server error',
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions,
  };
}

const MAX_LOGGED_BODY = 2_000;

/**
 * Logs, with the request's logger (so its request id), every error that is the server's fault
 * and every failed subgraph call, with what the client is not shown.
 */
export function errorLogPlugin<C extends { logger: Logger }>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            // A data source may throw a plain Error (a transport failure): it has no extensions.
            const { code, serviceName, response } = (error.extensions ?? {}) as {
              code?: unknown;
              serviceName?: string;
              response?: { url?: string; status?: number; body?: unknown };
            };
            if (isClientCode(code) && !response) continue;
            const body = typeof response?.body === 'string' ? response.body : JSON.stringify(response?.body);
            contextValue.logger.error(
              {
                err: error.originalError ?? error,
                code: code ?? 'INTERNAL_SERVER_ERROR',
                path: error.path,
                serviceName,
                response: response && {
                  url: response.url,
                  status: response.status,
                  body: body?.slice(0, MAX_LOGGED_BODY),
                },
              },
              'operation failed',
            );
          }
        },
      };
    },
  };
}

/**
 * Persisted queries are off (no client uses them): Apollo answers a request that names one with
 * PERSISTED_QUERY_NOT_SUPPORTED but status 200, for clients that retry with the query text. Such
 * a client reads the code either way; every other request refused before execution is a 400.
 */
export function persistedQueryStatusPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ errors, response }) {
          if (errors?.some((e) => String(e.extensions?.code).startsWith('PERSISTED_QUERY_')))
            response.http.status = 400;
        },
      };
    },
  };
}
