import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMoimClient } from './client';
import { MoimGraphQLError, MoimUploadError } from './errors';
import { MeDocument } from './generated/graphql';
import { memoryStore } from './session';
import { withTimeout } from './transport';

// A gateway that takes requests and never answers: what a hung connection looks like to the SDK.
describe('request timeout', () => {
  let server: Server;
  let url: string;
  const received: string[] = [];
  const held: IncomingMessage[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.method === 'PUT') return refuseForever(res);
      held.push(req);
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const { operationName } = JSON.parse(body);
        received.push(operationName);
        if (operationName === 'CreateUpload') answerCreateUpload(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A refusal whose body never ends: the upload must still give up at its timeout. */
  function refuseForever(res: ServerResponse) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.write('storage is ');
  }
  function answerCreateUpload(res: ServerResponse) {
    const createUpload = {
      uploadUrl: url.replace('/graphql', '/bucket/object'),
      method: 'PUT',
      headers: [],
      media: { id: 'media-1' },
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: { createUpload } }));
  }

  it('fails a request with NETWORK_ERROR once timeoutMs has passed, and aborts its connection', async () => {
    held.length = 0;
    const client = createMoimClient({ url, timeoutMs: 300 });
    const started = Date.now();
    const err = await client.request(MeDocument).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MoimGraphQLError);
    expect(err).toMatchObject({ code: 'NETWORK_ERROR', message: expect.stringMatching(/300 ms/) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(5_000);
    // The abort reached the connection: the server sees the held request's socket closed.
    expect(held).toHaveLength(1);
    await vi.waitFor(() => expect(held[0]!.socket.destroyed).toBe(true), { timeout: 2_000 });
  });

  it('gives up on an upload whose refusal never finishes arriving', async () => {
    const client = createMoimClient({ url, timeoutMs: 5_000 });
    const started = Date.now();
    const err = await client
      .upload(new Uint8Array([1, 2, 3]), { contentType: 'image/jpeg', purpose: 'REVIEW', timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MoimUploadError);
    expect((err as MoimUploadError).message).toMatch(/300 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('sets no timer for timeoutMs: Infinity (setTimeout would fire it at once)', async () => {
    const answer = await withTimeout(
      Infinity,
      () => new Promise((resolve) => setTimeout(() => resolve('late'), 50)),
    );
    expect(answer).toBe('late');
    // Past setTimeout's 32-bit limit: clamped, not fired at once either.
    const clamped = await withTimeout(
      2 ** 33,
      () => new Promise((resolve) => setTimeout(() => resolve('late'), 50)),
    );
    expect(clamped).toBe('late');
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
