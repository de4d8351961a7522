import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMoimClient } from './client';
import { MoimGraphQLError } from './errors';
import { MeDocument } from './generated/graphql';
import { memoryStore } from './session';

// A gateway that takes requests and never answers: what a hung connection looks like to the SDK.
describe('request timeout', () => {
  let server: Server;
  let url: string;
  const received: string[] = [];
  const held: IncomingMessage[] = [];

  beforeAll(async () => {
    server = createServer((req) => {
      held.push(req);
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => received.push(JSON.parse(body).operationName));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails a request with NETWORK_ERROR once timeoutMs has passed', async () => {
    const client = createMoimClient({ url, timeoutMs: 300 });
    const started = Date.now();
    const err = await client.request(MeDocument).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MoimGraphQLError);
    expect(err).toMatchObject({ code: 'NETWORK_ERROR', message: expect.stringMatching(/300 ms/) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('releases every caller of a hung refresh, and the next call refreshes anew', async () => {
    received.length = 0;
    const expired = {
      accessToken: 'access-1',
      accessTokenExpiresAt: new Date(Date.now() - 1_000).toISOString(),
      refreshToken: 'refresh-1',
      user: { id: 'u1', nickname: 'alice', role: 'USER' },
    };
    const client = createMoimClient({ url, timeoutMs: 300, store: memoryStore(expired) });

    const results = await Promise.allSettled([1, 2, 3].map(() => client.request(MeDocument)));

    for (const r of results)
      expect(r.status === 'rejected' && r.reason).toMatchObject({ code: 'NETWORK_ERROR' });
    expect(received).toEqual(['RefreshSession']);
    // The session is kept (a timeout says nothing about it) and the stuck refresh no longer blocks.
    expect(client.session()?.refreshToken).toBe('refresh-1');
    await expect(client.request(MeDocument)).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(received).toEqual(['RefreshSession', 'RefreshSession']);
  });
});
