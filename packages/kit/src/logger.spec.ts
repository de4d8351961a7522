import { describe, expect, it } from 'vitest';
import { requestScope } from './logger';
import { captureLogs } from './testing';

const SECRETS = [
  'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MiJ9.b3RoZXJzaWc',
  'hunter2-password',
  'refresh-abcdef0123456789',
  '482913',
  'bob@example.com',
  'alice.kim@moim.dev',
  '민지@예시.한국',
  '+821012345678',
  'signed.caller-header',
  'internal-secret-0123456789abcdef',
];

describe('logs keep secrets and personal data out', () => {
  it('redacts credentials, tokens, codes, emails and SQL parameters at any depth, in any field', () => {
    const { logger, lines, entries } = captureLogs();
    const dbError = Object.assign(
      new Error("ER_DUP_ENTRY: Duplicate entry 'bob@example.com' for key 'users.IDX_email_key'"),
      {
        code: 'ER_DUP_ENTRY',
        query: 'INSERT INTO `users`(`email`, `password_hash`) VALUES (?, ?)',
        parameters: ['bob@example.com', 'hunter2-password'],
        driverError: {
          code: 'ER_DUP_ENTRY',
          sql: "INSERT INTO `users` VALUES ('bob@example.com', 'hunter2-password')",
        },
      },
    );
    logger.info(
      {
        req: {
          headers: { Authorization: SECRETS[0], 'x-moim-caller': 'signed.caller-header', cookie: 'sid=1' },
        },
        input: {
          email: 'bob@example.com',
          password: 'hunter2-password',
          nested: [{ refreshToken: SECRETS[3] }],
        },
        accessToken: SECRETS[1],
        code: '482913',
        phone: '+821012345678',
        config: { INTERNAL_SECRET: SECRETS[9] },
        note: 'login failed for alice.kim@moim.dev',
        other: ['민지@예시.한국'],
        err: dbError,
        job: { error: dbError },
      },
      'something happened',
    );
    logger.error({ err: new Error(`token ${SECRETS[1]} rejected`) }, 'request failed');
    // Messages too, also the one pino takes from an error logged alone.
    logger.warn(new Error('no account for alice.kim@moim.dev'));
    logger.info('code sent to bob@example.com');
    logger.info(
      { stack: 'at run (file:///srv/node_modules/@apollo/server/dist/esm/requestPipeline.js:331:84)' },
      'kept',
    );
    expect(lines).toHaveLength(5);
    for (const secret of SECRETS) expect(lines.join('\n')).not.toContain(secret);

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- reading deep into log lines
    const [line, second, third, fourth, fifth] = entries() as Array<Record<string, any>>;
    // What operators need stays: error types, machine codes, the SQL text with its placeholders.
    expect(line!.err).toMatchObject({
      type: 'Error',
      code: 'ER_DUP_ENTRY',
      query: 'INSERT INTO `users`(`email`, `password_hash`) VALUES (?, ?)',
      parameters: '[redacted]',
      driverError: { code: 'ER_DUP_ENTRY', sql: '[redacted]' },
      message: "ER_DUP_ENTRY: Duplicate entry '[redacted]' for key 'users.IDX_email_key'",
    });
    expect(line!.job.error.stack).toMatch(/^Error: ER_DUP_ENTRY/);
    expect(line!.input).toEqual({
      email: '[redacted]',
      password: '[redacted]',
      nested: [{ refreshToken: '[redacted]' }],
    });
    expect(line!.req.headers).toEqual({
      Authorization: '[redacted]',
      'x-moim-caller': '[redacted]',
      cookie: '[redacted]',
    });
    expect(line).toMatchObject({
      code: '[redacted]',
      note: 'login failed for [email]',
      msg: 'something happened',
    });
    expect(second!.err.message).toBe('token [token] rejected');
    expect(third).toMatchObject({
      msg: 'no account for [email]',
      err: { message: 'no account for [email]' },
    });
    expect(fourth!.msg).toBe('code sent to [email]');
    expect(fifth!.stack).toBe(
      'at run (file:///srv/node_modules/@apollo/server/dist/esm/requestPipeline.js:331:84)',
    );
  });

  it('keeps numbers, flags and machine codes under such names, and what is not sensitive', () => {
    const { logger, entries } = captureLogs();
    const when = new Date('2026-01-02T03:04:05Z');
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    logger.warn(
      {
        maxTokens: 15000,
        emailVerified: true,
        code: 'UND_ERR_SOCKET',
        exit: { code: 413 },
        issue: { code: 'invalid_type' },
        otp: { code: 'Xk3fQ9' },
        userId: 'u1',
        when,
        circular,
      },
      'fine',
    );
    expect(entries()[0]).toMatchObject({
      maxTokens: 15000,
      emailVerified: true,
      code: 'UND_ERR_SOCKET',
      exit: { code: 413 },
      issue: { code: 'invalid_type' },
      otp: { code: '[redacted]' },
      userId: 'u1',
      when: '2026-01-02T03:04:05.000Z',
      circular: { name: 'loop', self: '[circular]' },
    });
  });

  it('redacts what child loggers carry on every line, too', () => {
    const { logger, lines } = captureLogs();
    logger
      .child({ email: 'bob@example.com', requestId: 'r-1' })
      .child({ refreshToken: 'refresh-abcdef0123456789', step: 2 })
      .info('hi');
    expect(lines.join('\n')).not.toMatch(/bob@example\.com|refresh-abcdef/);
    // Each generation keeps what its parents bound.
    expect(lines.join('\n')).toMatch(/"requestId":"r-1".*"step":2/);
  });

  it('logs nothing below its level', () => {
    const { logger, lines } = captureLogs('info');
    logger.debug({ email: 'x@example.com' }, 'quiet');
    expect(lines).toEqual([]);
  });
});

describe('requestScope', () => {
  it('makes the request’s child logger on first use only, once, carrying the request id', () => {
    const { logger, entries } = captureLogs('info', 'scope');
    let children = 0;
    const child = logger.child.bind(logger);
    logger.child = ((bindings: Record<string, unknown>) => {
      children++;
      return child(bindings);
    }) as typeof logger.child;
    const scope = requestScope({ requestId: 'req-7', caller: null }, logger);
    expect(children).toBe(0);
    const first = scope.logger;
    expect(scope.logger).toBe(first);
    expect(children).toBe(1);
    first.info('hello');
    expect(entries().at(-1)).toMatchObject({ requestId: 'req-7', msg: 'hello' });
  });
});
