import { LoggedOutError, MoimGraphQLError } from '@moim/sdk';
import type { MessageKey, Vars } from '../i18n/messages';

type Translate = (key: MessageKey, vars?: Vars) => string;

/** An error as the admin reads it: what happened in their language, the server's own words as detail. */
export interface ErrorText {
  text: string;
  detail?: string;
}

const CODES: Record<string, MessageKey> = {
  UNAUTHENTICATED: 'error.UNAUTHENTICATED',
  FORBIDDEN: 'error.FORBIDDEN',
  NETWORK_ERROR: 'error.NETWORK_ERROR',
  TIMEOUT: 'error.NETWORK_ERROR',
  BAD_USER_INPUT: 'error.BAD_USER_INPUT',
  GRAPHQL_VALIDATION_FAILED: 'error.BAD_USER_INPUT',
  RATE_LIMITED: 'error.RATE_LIMITED',
  NOT_FOUND: 'error.NOT_FOUND',
  INTERNAL_SERVER_ERROR: 'error.INTERNAL',
  LOGGED_OUT: 'error.LOGGED_OUT',
};

/** The SDK's code of an error (its first GraphQL error's, NETWORK_ERROR, HTTP_<status>, LOGGED_OUT). */
export function errorCode(error: unknown): string | undefined {
  if (error instanceof LoggedOutError) return error.code;
  if (error instanceof MoimGraphQLError) return error.code;
  return undefined;
}

/** The message key of an error: one per code the SDK produces, a 5xx as the server's failure, else generic. */
export function errorKey(error: unknown): MessageKey {
  const code = errorCode(error);
  if (code === undefined) return 'error.UNKNOWN';
  if (/^HTTP_5\d\d$/.test(code)) return 'error.INTERNAL';
  return CODES[code] ?? 'error.UNKNOWN';
}

export function describeError(error: unknown, t: Translate): ErrorText {
  const message = error instanceof Error ? error.message : String(error);
  return { text: t(errorKey(error)), ...(message ? { detail: t('error.detail', { message }) } : {}) };
}

/** Text and detail on one line, for notices. */
export const errorLine = ({ text, detail }: ErrorText): string => (detail ? `${text} ${detail}` : text);
