import { createHmac } from 'node:crypto';
import type { SmsSender } from './sms.port';

export interface SensConfig {
  accessKey: string;
  secretKey: string;
  serviceId: string;
  from: string;
  /** Defaults to https://sens.apigw.ntruss.com */
  endpoint?: string;
}

const DEFAULT_ENDPOINT = 'https://sens.apigw.ntruss.com';
const TIMEOUT_MS = 10_000;

// SENS only delivers domestically in our setup, so accept +82 or a bare 0-prefixed Korean number.
function toKoreanNationalNumber(to: string): string {
  const compact = to.replace(/[\s-]/g, '');
  if (/^\+82\d{8,11}$/.test(compact)) return `0${compact.slice(3).replace(/^0/, '')}`;
  if (/^0\d{8,10}$/.test(compact)) return compact;
  throw new Error(`SENS SMS supports only Korean numbers (+82… or 0…), got: ${to}`);
}

// NCP API Gateway signature v2: base64(HMAC-SHA256(secretKey, "METHOD url\ntimestamp\naccessKey")).
function sign(secretKey: string, method: string, url: string, timestamp: string, accessKey: string): string {
  return createHmac('sha256', secretKey)
    .update(`${method} ${url}\n${timestamp}\n${accessKey}`)
    .digest('base64');
}

export function createSensSms(
  config: SensConfig,
  fetchImpl: typeof fetch = fetch,
  now: () => number = Date.now,
): SmsSender {
  const endpoint = (config.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  // The signed path must be byte-for-byte the one on the wire.
  const path = `/sms/v2/services/${config.serviceId}/messages`;

  return {
    async send(to, text) {
      const recipient = toKoreanNationalNumber(to);
      const timestamp = String(now());
      const res = await fetchImpl(`${endpoint}${path}`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'x-ncp-apigw-timestamp': timestamp,
          'x-ncp-iam-access-key': config.accessKey,
          'x-ncp-apigw-signature-v2': sign(config.secretKey, 'POST', path, timestamp, config.accessKey),
        },
        body: JSON.stringify({
          type: 'SMS',
          contentType: 'COMM',
          countryCode: '82',
          from: config.from,
          content: text,
          messages: [{ to: recipient }],
        }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (res.status !== 202) {
        const body = await res.text().catch(() => '');
        throw new Error(`SENS SMS send failed: HTTP ${res.status} ${body}`.trim());
      }
    },
  };
}
