import { isIP } from 'node:net';

/**
 * A client address as proxies write it — `203.0.113.7`, `203.0.113.7:51234`, `[2001:db8::1]:443`,
 * `::ffff:203.0.113.7` — in one canonical form, or null when it is no address at all.
 */
export function normalizeIp(value: string | null | undefined): string | null {
  if (!value) return null;
  let ip = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(ip);
  if (bracketed) ip = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(ip)) ip = ip.slice(0, ip.lastIndexOf(':'));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) ip = mapped[1]!;
  const version = isIP(ip);
  if (version === 4) return ip;
  if (version === 6) return expandIpv6(ip);
  return null;
}

/**
 * What per-address rate limits count by: an IPv4 address, or the /64 network of an IPv6 one (a
 * single host commonly holds a whole /64, so counting addresses would give it billions of tries).
 */
export function rateLimitKeyOfIp(ip: string | null | undefined): string {
  const normal = normalizeIp(ip);
  if (!normal) return 'unknown';
  if (!normal.includes(':')) return normal;
  return `${normal.split(':').slice(0, 4).join(':')}::/64`;
}

/** `2001:db8::1` → `2001:0db8:0000:0000:0000:0000:0000:0001`: one spelling per address. */
function expandIpv6(ip: string): string {
  const [head = '', tail] = ip.toLowerCase().split('::') as [string, string | undefined];
  const groups = (part: string) => (part ? part.split(':') : []);
  let parts = groups(head);
  if (tail !== undefined) {
    const end = groups(tail);
    parts = [...parts, ...Array(8 - parts.length - end.length).fill('0'), ...end];
  }
  return parts.map((g) => g.padStart(4, '0')).join(':');
}
