import { GraphQLError } from 'graphql';

export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'NOT_FOUND' | 'RATE_LIMITED';

function error(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

/** `field` names the input field at fault so clients can put the message beside it. */
export const badInput = (message: string, field?: string) =>
  error('BAD_USER_INPUT', message, field ? { field } : {});
export const notFound = (message: string) => error('NOT_FOUND', message);
export const forbidden = (message = 'You are not allowed to do this') => error('FORBIDDEN', message);
export const unauthenticated = (message = 'You must be logged in') => error('UNAUTHENTICATED', message);
export const rateLimited = (message: string, retryAfterSeconds: number) =>
  error('RATE_LIMITED', message, { retryAfterSeconds });

/**
 * Codes that tell a client what it did wrong, as opposed to INTERNAL_SERVER_ERROR and the like:
 * ours, and Apollo Server's for requests it refuses before running them.
 */
export const CLIENT_ERROR_CODES: ReadonlySet<string> = new Set<string>([
  ...(['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'NOT_FOUND', 'RATE_LIMITED'] satisfies ErrorCode[]),
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_FOUND',
]);

/** The extensions a client may see besides `code` (see the helpers above). */
export const CLIENT_ERROR_EXTENSIONS: readonly string[] = ['field', 'retryAfterSeconds'];
