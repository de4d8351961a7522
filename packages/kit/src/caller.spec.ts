import { describe, expect, it } from 'vitest';
import { signCaller, verifyCaller, type Caller } from './caller';

const secret = 'a'.repeat(32);
const caller: Caller = { userId: 'u1', role: 'USER', ip: '10.0.0.1', requestId: 'r1' };
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return {
      message: (err as Error).message,
      code: (err as { extensions: { code: string } }).extensions.code,
    };
  }
  return null;
};

describe('signed caller header', () => {
  it('round-trips the caller', () => {
    expect(verifyCaller(signCaller(caller, secret, 'social'), secret, 'social')).toEqual(caller);
  });

  it('refuses a missing, tampered, foreign or stale header', () => {
    const header = signCaller(caller, secret, 'social', 1_000);
    const [body, mac] = header.split('.');
    const promoted = Buffer.from(JSON.stringify({ ...caller, role: 'ADMIN', exp: 61_000 })).toString(
      'base64url',
    );
    expect(refusal(() => verifyCaller(undefined, secret, 'social'))).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: /Missing/,
    });
    expect(refusal(() => verifyCaller(`${promoted}.${mac}`, secret, 'social', 1_000))).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: /Invalid/,
    });
    expect(refusal(() => verifyCaller(`${body}.${mac}`, 'b'.repeat(32), 'social', 1_000))).toMatchObject({
      message: /Invalid/,
    });
    expect(refusal(() => verifyCaller(header, secret, 'social', 1_000 + 61_000))).toMatchObject({
      message: /Expired/,
    });
    expect(refusal(() => verifyCaller('garbage', secret, 'social'))).toMatchObject({ message: /Malformed/ });
    // signed for review, replayed against social
    expect(
      refusal(() => verifyCaller(signCaller(caller, secret, 'review', 1_000), secret, 'social', 1_000)),
    ).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'Gateway signature is for review, not social',
    });
  });
});
