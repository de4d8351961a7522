import DataLoader from 'dataloader';

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
