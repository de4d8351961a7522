import { describe, expect, it } from 'vitest';
import { callerClaims, callerKey, sealCaller, signCaller, verifyCaller, type Caller } from './caller';

const secret = 'a'.repeat(32);
const caller: Caller = { userId: 'u1', role: 'USER', ip: '10.0.0.1', requestId: 'r1' };
const body = JSON.stringify({ query: '{ review(id: "r1") { title } }' });
const bytes = Buffer.from(body);
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
  it('round-trips the caller for the body it was signed with, string or bytes, key or secret', () => {
    expect(verifyCaller(signCaller(caller, secret, 'social', body), secret, 'social', bytes)).toEqual(caller);
    const key = callerKey(secret);
    const header = sealCaller(callerClaims(caller, 'social'), key, body);
    expect(verifyCaller(header, key, 'social', bytes)).toEqual(caller);
    // Non-ASCII text is signed as the UTF-8 bytes that travel.
    const korean = JSON.stringify({ query: '{ feed { edges { cursor } } }', variables: { q: '맛집' } });
    expect(
      verifyCaller(signCaller(caller, key, 'review', korean), key, 'review', Buffer.from(korean)),
    ).toEqual(caller);
  });

  it('refuses a header replayed with another body, even a byte longer', () => {
    const header = signCaller({ ...caller, role: 'ADMIN' }, secret, 'review', body);
    for (const other of [
      JSON.stringify({ query: 'mutation { hideReview(id: "r1") { id hidden } }' }),
      `${body} `,
      '',
    ]) {
      expect(refusal(() => verifyCaller(header, secret, 'review', Buffer.from(other)))).toEqual({
        code: 'UNAUTHENTICATED',
        message: 'Invalid gateway signature (forged, or signed for another request body)',
      });
    }
  });

  it('refuses a missing, tampered, foreign or stale header', () => {
    const header = signCaller(caller, secret, 'social', body, 1_000);
    const [claims, mac] = header.split('.');
    const promoted = Buffer.from(
      JSON.stringify({ ...caller, role: 'ADMIN', aud: 'social', exp: 61_000 }),
    ).toString('base64url');
    expect(refusal(() => verifyCaller(undefined, secret, 'social', bytes))).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: /Missing/,
    });
    expect(refusal(() => verifyCaller(`${promoted}.${mac}`, secret, 'social', bytes, 1_000))).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: /Invalid/,
    });
    expect(
      refusal(() => verifyCaller(`${claims}.${mac}`, 'b'.repeat(32), 'social', bytes, 1_000)),
    ).toMatchObject({ message: /Invalid/ });
    expect(refusal(() => verifyCaller(header, secret, 'social', bytes, 1_000 + 61_000))).toMatchObject({
      message: /Expired/,
    });
    expect(refusal(() => verifyCaller([header, header], secret, 'social', bytes))).toMatchObject({
      message: 'Malformed gateway signature',
    });
    expect(refusal(() => verifyCaller('garbage', secret, 'social', bytes))).toMatchObject({
      message: /Malformed/,
    });
    expect(refusal(() => verifyCaller(`${header}.x`, secret, 'social', bytes, 1_000))).toMatchObject({
      message: /Malformed/,
    });
    // signed for review, replayed against social
    expect(
      refusal(() =>
        verifyCaller(signCaller(caller, secret, 'review', body, 1_000), secret, 'social', bytes, 1_000),
      ),
    ).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'Gateway signature is for review, not social',
    });
  });
});

describe('the previous release’s header (rolling deploys)', () => {
  it('is accepted: an HMAC over the claims and the SHA-256 of the body, for that body only', async () => {
    const { createHash, createHmac } = await import('node:crypto');
    const claims = callerClaims(caller, 'review');
    const bodyHash = createHash('sha256').update(body).digest();
    const previous = createHmac('sha256', secret).update(claims).update('.').update(bodyHash).digest();
    const header = `${claims}.${previous.toString('base64url')}`;
    expect(verifyCaller(header, callerKey(secret), 'review', body)).toEqual(caller);
    expect(refusal(() => verifyCaller(header, secret, 'review', `${body} `))?.code).toBe('UNAUTHENTICATED');
    // The current form is not the previous one: each header carries exactly one of them.
    expect(sealCaller(claims, secret, body)).not.toBe(header);
  });
});
