import { describe, expect, it } from 'vitest';
import { wsUrlFor } from './client';

describe('wsUrlFor', () => {
  it('turns the GraphQL URL into the subscriptions URL on the same path', () => {
    expect(wsUrlFor('http://localhost:4000/graphql')).toBe('ws://localhost:4000/graphql');
    expect(wsUrlFor('https://api.moim.example/graphql')).toBe('wss://api.moim.example/graphql');
    expect(wsUrlFor('HTTPS://api.moim.example/graphql?x=http:')).toBe(
      'wss://api.moim.example/graphql?x=http:',
    );
  });

  it('reads no URL property React Native lacks for an absolute URL', () => {
    const real = globalThis.URL;
    // React Native's URL: href and toString only; protocol, host… throw "not implemented".
    globalThis.URL = class {
      constructor() {
        throw new Error('URL not implemented');
      }
    } as unknown as typeof URL;
    try {
      expect(wsUrlFor('https://api.moim.example/graphql')).toBe('wss://api.moim.example/graphql');
    } finally {
      globalThis.URL = real;
    }
  });

  it('takes a relative URL against the page', () => {
    const g = globalThis as { location?: { href: string } };
    g.location = { href: 'https://admin.moim.example/reports?x=1' };
    try {
      expect(wsUrlFor('/graphql')).toBe('wss://admin.moim.example/graphql');
    } finally {
      delete g.location;
    }
  });
});
