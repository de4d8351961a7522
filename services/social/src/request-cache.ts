import type { SocialContext } from './domain/context';

/**
 * Per-request values (DataLoaders mostly) for areas that keep theirs beside their resolvers
 * instead of in `createLoaders`: made on first use, dropped with the request's context.
 */
export function perRequest<T>(make: (ctx: SocialContext) => T): (ctx: SocialContext) => T {
  const made = new WeakMap<SocialContext, T>();
  return (ctx) => {
    let value = made.get(ctx);
    if (value === undefined) {
      value = make(ctx);
      made.set(ctx, value);
    }
    return value;
  };
}
