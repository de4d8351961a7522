export interface MoimErrorEntry {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

/**
 * The gateway answered with errors (or not with GraphQL at all). `code` is the first error's
 * `extensions.code` (UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND, …), or HTTP_<status>
 * / NETWORK_ERROR when there was no GraphQL answer.
 */
export class MoimGraphQLError extends Error {
  override readonly name = 'MoimGraphQLError';
  readonly code: string;
  readonly errors: MoimErrorEntry[];
  /** HTTP status of the answer; undefined when the request never got one. */
  readonly status: number | undefined;
  /** Whatever data came with the errors (a partial result). */
  readonly data: unknown;

  constructor(
    message: string,
    init: { code: string; errors?: MoimErrorEntry[]; status?: number; data?: unknown; cause?: unknown },
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.errors = init.errors ?? [];
    this.status = init.status;
    this.data = init.data;
  }
}

/**
 * The session is gone for good (its refresh token revoked or expired): the app must log in again.
 * The client has already cleared the session and saved null to the store.
 */
export class LoggedOutError extends Error {
  override readonly name = 'LoggedOutError';
  readonly code = 'LOGGED_OUT' as const;

  constructor(message = 'Logged out: log in again', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An upload that did not make it: the PUT of its bytes failed, or processing rejected them. */
export class MoimUploadError extends Error {
  override readonly name = 'MoimUploadError';
  /** The media, when one was created (its failureReason says why processing failed). */
  readonly mediaId: string | undefined;

  constructor(message: string, options: { mediaId?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.mediaId = options.mediaId;
  }
}

export const isUnauthenticated = (err: unknown): boolean =>
  err instanceof MoimGraphQLError && err.code === 'UNAUTHENTICATED';
