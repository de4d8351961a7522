import { describe, expect, it } from 'vitest';
import { wsUrlFor } from './client';

describe('wsUrlFor', () => {
  it('turns the GraphQL URL into the subscriptions URL on the same path', () => {
    expect(wsUrlFor('http://localhost:4000/graphql')).toBe('ws://localhost:4000/graphql');
    expect(wsUrlFor('https://api.moim.example/graphql')).toBe('wss://api.moim.example/graphql');
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
