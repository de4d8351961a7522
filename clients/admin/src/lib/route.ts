export const SECTIONS = ['reports', 'reviews', 'users', 'queues', 'imports', 'explorer'] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface Route {
  section: SectionName;
  /** The rest of the path: a user's id, a queue's name, a reviews mode. */
  param?: string;
}

/**
 * `/admin/users/42` → users, 42. Real paths (the gateway answers every path under /admin with the
 * app), so a link can be opened in a new tab and /graphql's landing page can send browsers
 * straight to /admin/explorer.
 */
export function parseRoute(pathname: string, base: string): Route {
  const rest = pathname.startsWith(base) ? pathname.slice(base.length) : '';
  const [section, ...more] = rest.split('/').filter(Boolean);
  if (!(SECTIONS as readonly string[]).includes(section ?? '')) return { section: 'reports' };
  let param: string | undefined;
  try {
    param = more.length ? decodeURIComponent(more.join('/')) : undefined;
  } catch {
    param = undefined;
  }
  return param ? { section: section as SectionName, param } : { section: section as SectionName };
}

/** The path of a route under the console's base: `users/42` → `/admin/users/42`. */
export const pathOf = (base: string, section: SectionName, param?: string): string =>
  `${base}${section}${param === undefined ? '' : `/${encodeURIComponent(param)}`}`;
