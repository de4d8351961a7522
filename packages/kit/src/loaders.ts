import DataLoader from 'dataloader';
import {
  decodeCursor,
  MAX_PAGE_SIZE,
  pageSize,
  toConnection,
  type Connection,
  type Keyset,
  type PageArgs,
} from './pagination';

/**
 * One batched query for many keys; results come back in key order with null for the missing,
 * which is the contract DataLoader needs.
 */
export function keyedLoader<K extends string, V>(
  fetch: (keys: readonly K[]) => Promise<V[]>,
  keyOf: (value: V) => K,
): DataLoader<K, V | null> {
  return new DataLoader(async (keys) => {
    const byKey = new Map((await fetch(keys)).map((v) => [keyOf(v), v]));
    return keys.map((k) => byKey.get(k) ?? null);
  });
}

/** A batched COUNT ... GROUP BY: keys with no rows count 0. */
export function countLoader<K extends string>(
  fetch: (keys: readonly K[]) => Promise<Array<{ key: K; count: number | string }>>,
): DataLoader<K, number> {
  return new DataLoader(async (keys) => {
    const counts = new Map((await fetch(keys)).map((r) => [r.key, Number(r.count)]));
    return keys.map((k) => counts.get(k) ?? 0);
  });
}

/**
 * For list fields under a list (each author's reviews, each user's followers): one DataLoader
 * per distinct page arguments, so the pages of every parent on a plan level come from one fetch.
 * `fetch` returns up to `size + 1` rows per parent, newest first.
 */
export function connectionLoader<T>(
  fetch: (parentIds: readonly string[], size: number, after: Keyset | null) => Promise<Map<string, T[]>>,
  keyOf: (row: T) => Keyset,
): (args: PageArgs) => DataLoader<string, Connection<T>> {
  const loaders = new Map<string, DataLoader<string, Connection<T>>>();
  return (args) => {
    const size = pageSize(args.first);
    const after = args.after ? decodeCursor(args.after) : null;
    const key = `${size}:${args.after ?? ''}`;
    let loader = loaders.get(key);
    if (!loader) {
      loader = new DataLoader(
        async (parentIds) => {
          const rows = await fetch(parentIds, size, after);
          return parentIds.map((id) => toConnection(rows.get(id) ?? [], size, keyOf));
        },
        { maxBatchSize: MAX_PAGE_SIZE },
      ); // one statement per hundred parents keeps each one small
      loaders.set(key, loader);
    }
    return loader;
  };
}

/** Groups rows by a key, keeping their order. */
export function groupBy<T>(rows: T[], keyOf: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}
