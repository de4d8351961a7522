import DataLoader from 'dataloader';
import type { RankedRow } from './db';
import {
  MAX_PAGE_SIZE,
  pageOf,
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
    const { size, after } = pageOf(args);
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

/**
 * Turns pages of ids (from `newestPerParent`) into pages of things: every id of every page is
 * loaded in one batch, and rows whose thing is gone are left out.
 */
export async function loadPages<T, R>(
  pages: Map<string, RankedRow[]>,
  load: (ids: string[]) => Promise<Array<T | null>>,
  make: (row: RankedRow, item: T) => R,
): Promise<Map<string, R[]>> {
  const rows = [...pages.values()].flat();
  const items = await load(rows.map((r) => r.id));
  const result = new Map<string, R[]>();
  rows.forEach((row, i) => {
    const item = items[i];
    if (item == null) return;
    const page = result.get(row.parent);
    if (page) page.push(make(row, item));
    else result.set(row.parent, [make(row, item)]);
  });
  return result;
}
