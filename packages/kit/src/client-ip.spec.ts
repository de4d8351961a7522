import { describe, expect, it } from 'vitest';
import { normalizeIp, rateLimitKeyOfIp } from './client-ip';

describe('client addresses', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    [' 203.0.113.7:51234 ', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['[2001:db8::1]:443', '2001:0db8:0000:0000:0000:0000:0000:0001'],
    ['2001:DB8:0:0:1::2', '2001:0db8:0000:0000:0001:0000:0000:0002'],
    ['unknown', null],
    ['', null],
  ])('%j is %j', (raw, normal) => {
    expect(normalizeIp(raw)).toBe(normal);
  });

  it('counts IPv6 clients by their /64, IPv4 by address', () => {
    const net = rateLimitKeyOfIp('2001:db8:1:2::1');
    for (let i = 2; i < 25; i++) expect(rateLimitKeyOfIp(`2001:db8:1:2::${i.toString(16)}`)).toBe(net);
    expect(rateLimitKeyOfIp('2001:db8:1:3::1')).not.toBe(net);
    expect(rateLimitKeyOfIp('203.0.113.7:1')).toBe(rateLimitKeyOfIp('::ffff:203.0.113.7'));
    expect(rateLimitKeyOfIp(null)).toBe('unknown');
  });
});
