import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const REDACTED = '[redacted]';

/**
 * Keys whose values never reach a log, at any depth, whatever their case or separators:
 * credentials and tokens, the signed caller header, personal data (emails, phone numbers) and
 * SQL parameters and interpolated SQL (`sql`: mysql2 puts the values into it). Numbers and
 * booleans under such keys stay (`maxTokens`, `emailVerified`), as do ids and the SQL text with
 * its placeholders (`query`).
 */
const SENSITIVE_KEY =
  /pass(word|wd|phrase)|tokens?$|secret|authori[sz]ation|cookie|api-?key|credential|signature|moim-?caller|e-?mail|phone|^sql$|^parameters$/i;
/**
 * `code` is a secret (a verification or authorization code) unless it reads as a machine error
 * code: ER_DUP_ENTRY, UND_ERR_SOCKET, BAD_USER_INPUT, invalid_type.
 */
const ERROR_CODE = /^(?:[A-Z][A-Z0-9_]*|[a-z]+(?:_[a-z]+)+)$/;
// Not `node_modules/@apollo/server/dist/…` in a stack: the local part is a word before the @.
const EMAIL = /[\p{L}\p{N}._%+-]+@(?:[\p{L}\p{N}-]+\.)+\p{L}{2,}/gu;
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/g;
// MySQL writes the offending value into some messages: "Duplicate entry 'bob@x.com' for key …",
// "Incorrect integer value: '…' for column …".
const SQL_VALUE = /(Duplicate entry |value: )'[^]*?'(?= for |$)/gm;
const MAX_DEPTH = 8;

/** Personal data and tokens inside free text: error messages, stacks, SQL errors. */
function scrubText(text: string): string {
  let out = text;
  if (out.includes('@')) out = out.replace(EMAIL, '[email]');
  if (out.includes('eyJ')) out = out.replace(JWT, '[token]');
  if (out.includes("entry '") || out.includes("value: '")) out = out.replace(SQL_VALUE, `$1'${REDACTED}'`);
  return out;
}

/**
 * A copy of `value` fit for a log: sensitive keys redacted at every depth, emails and tokens
 * masked in text, errors serialized (pino's own err serializer, then the same treatment).
 */
function scrub(value: unknown, depth: number, seen: Set<object>): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth > MAX_DEPTH) return '[too deep]';
  if (value instanceof Error) value = pino.stdSerializers.err(value);
  else if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    const json = (value as { toJSON: () => unknown }).toJSON();
    return json === value ? json : scrub(json, depth + 1, seen);
  }
  seen.add(value as object);
  try {
    if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as object)) {
      if (SENSITIVE_KEY.test(key) && typeof item !== 'number' && typeof item !== 'boolean')
        out[key] = REDACTED;
      else if (key === 'code' && typeof item === 'string' && !ERROR_CODE.test(item)) out[key] = REDACTED;
      else out[key] = scrub(item, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value as object);
  }
}

/** Logs JSON lines to `destination` (stdout by default), with secrets and personal data kept out. */
export function createLogger(name: string, level = 'info', destination?: DestinationStream): Logger {
  const logger = pino(
    {
      name,
      level,
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (object) => scrub(object, 0, new Set()) as Record<string, unknown> },
      // Errors are serialized (and scrubbed) by the formatter above, wherever they are.
      serializers: { err: (err: unknown) => err },
      // The message too: pino makes it from an error's message when none is given.
      hooks: {
        logMethod(args: unknown[], method: (...args: unknown[]) => void) {
          const [first, second] = args;
          if (first instanceof Error && typeof second !== 'string')
            return method.apply(this, [first, scrubText(first.message), ...args.slice(1)]);
          return method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg)),
          );
        },
      },
    },
    destination,
  );
  // What child loggers carry is written on every line they log, and pino formats it only for the
  // root: scrub it as it is bound. Children inherit this method, so grandchildren do too.
  type Child = (this: Logger, bindings: Record<string, unknown>, options?: object) => Logger;
  const child = (Object.getPrototypeOf(logger) as { child: Child }).child;
  (logger as unknown as { child: Child }).child = function (bindings, options) {
    return child.call(this, scrub(bindings, 0, new Set()) as Record<string, unknown>, options);
  };
  return logger;
}

/**
 * `scope` with a `logger` for its request: a child carrying the request id, made on first use.
 * Most requests log nothing, and a child costs a scrubbed copy of its bindings and an object.
 */
export function requestScope<T extends { requestId: string }>(
  scope: T,
  logger: Logger,
): T & { logger: Logger } {
  let child: Logger | undefined;
  return Object.defineProperty(scope, 'logger', {
    get: () => (child ??= logger.child({ requestId: scope.requestId })),
    enumerable: true,
    configurable: true,
  }) as T & { logger: Logger };
}
