import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSensSms, type SensConfig } from './sens-sms';

const config: SensConfig = {
  accessKey: 'AK-test',
  secretKey: 'SK-very-secret',
  serviceId: 'ncp:sms:kr:123456789012:moim',
  from: '0212345678',
};
const NOW = 1_700_000_000_123;

interface Recorded {
  url: string;
  init: RequestInit;
}

function fakeFetch(status = 202, body = '{"statusCode":"202","statusName":"success"}') {
  const calls: Recorded[] = [];
  const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    return new Response(body, { status });
  }) as typeof fetch;
  return { calls, fetchImpl };
}

describe('createSensSms', () => {
  it('posts a signed SENS v2 request', async () => {
    const { calls, fetchImpl } = fakeFetch();
    await createSensSms(config, fetchImpl, () => NOW).send('+821012345678', '인증번호 123456');

    expect(calls).toHaveLength(1);
    const { url, init } = calls[0]!;
    const path = `/sms/v2/services/${config.serviceId}/messages`;
    expect(url).toBe(`https://sens.apigw.ntruss.com${path}`);
    expect(init.method).toBe('POST');
    expect(init.signal).toBeInstanceOf(AbortSignal);

    const headers = init.headers as Record<string, string>;
    const timestamp = headers['x-ncp-apigw-timestamp'];
    expect(timestamp).toBe(String(NOW));
    const expectedSignature = createHmac('sha256', config.secretKey)
      .update(`POST ${path}\n${timestamp}\n${config.accessKey}`)
      .digest('base64');
    expect(headers).toEqual({
      'Content-Type': 'application/json; charset=utf-8',
      'x-ncp-apigw-timestamp': String(NOW),
      'x-ncp-iam-access-key': config.accessKey,
      'x-ncp-apigw-signature-v2': expectedSignature,
    });

    expect(JSON.parse(init.body as string)).toEqual({
      type: 'SMS',
      contentType: 'COMM',
      countryCode: '82',
      from: config.from,
      content: '인증번호 123456',
      messages: [{ to: '01012345678' }],
    });
  });

  it('passes a bare Korean number through and honours a custom endpoint', async () => {
    const { calls, fetchImpl } = fakeFetch();
    await createSensSms({ ...config, endpoint: 'http://localhost:9999/' }, fetchImpl, () => NOW).send(
      '010-1234-5678',
      'hi',
    );

    expect(calls[0]!.url).toMatch(/^http:\/\/localhost:9999\/sms\/v2\/services\//);
    expect(JSON.parse(calls[0]!.init.body as string).messages).toEqual([{ to: '01012345678' }]);
  });

  it('rejects with the status and body on a non-202 answer, without leaking the secret', async () => {
    const { fetchImpl } = fakeFetch(401, '{"errorMessage":"Authentication Failed"}');
    const error = await createSensSms(config, fetchImpl, () => NOW)
      .send('01012345678', 'hi')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('401');
    expect((error as Error).message).toContain('Authentication Failed');
    expect((error as Error).message).not.toContain(config.secretKey);
  });

  it('rejects a non-Korean number before making any request', async () => {
    const { calls, fetchImpl } = fakeFetch();
    await expect(createSensSms(config, fetchImpl, () => NOW).send('+14155550123', 'hi')).rejects.toThrow(
      /Korean/,
    );
    expect(calls).toHaveLength(0);
  });
});
