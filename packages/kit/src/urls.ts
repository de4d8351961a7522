/** Host and port of a server URL (redis://, mysql://), for messages and proxies: no credentials. */
export function hostAndPort(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || defaultPort) };
}

/** `mysql://root:secret@db:3306/moim` → `db:3306`. */
export function addressOf(url: string, defaultPort: number): string {
  const { host, port } = hostAndPort(url, defaultPort);
  return `${host}:${port}`;
}
