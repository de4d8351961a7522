import type { EntityManager } from 'typeorm';
import type { SearchKind } from '@moim/events';
import { marks, readTime, rowReader, sqlParams, sqlPerShape, type Database } from '@moim/kit';
import {
  SearchChangeEntity,
  SearchDocumentEntity,
  SearchStateEntity,
  type SearchDocumentRow,
} from '../entities';
import type { IndexedDocument } from '../port';

/** Reads and writes of search's own tables that the events, the projections and reindex share. */

export const keyOf = (kind: SearchKind, id: string): string => `${kind}:${id}`;

const asIndexed = (row: SearchDocumentRow, likes: number): IndexedDocument => ({
  kind: row.kind,
  id: row.id,
  title: row.title,
  body: row.body,
  authorId: row.authorId,
  popularity: row.popularity,
  createdAt: row.createdAt.toISOString(),
  likes,
});

const likesOfKeys = sqlPerShape(
  (n: number) =>
    `SELECT doc_key, COUNT(*) AS likes FROM search_likes WHERE active = ? AND doc_key IN (${marks(n)}) GROUP BY doc_key`,
);
const documentsOfKeys = sqlPerShape(
  (n: number) => `SELECT d.* FROM search_documents d WHERE d.doc_key IN (${marks(n)})`,
);

/** The documents as they are now: findable ones by key; the others (gone, hidden) as null. */
export async function loadDocuments(
  db: Database,
  keys: readonly string[],
): Promise<Map<string, IndexedDocument | null>> {
  const found = new Map<string, IndexedDocument | null>(keys.map((k) => [k, null]));
  if (!keys.length) return found;
  const ds = db.dataSource;
  const [rows, likes] = await Promise.all([
    rowReader(ds, SearchDocumentEntity).all(documentsOfKeys(keys.length), keys),
    ds.query(likesOfKeys(keys.length), sqlParams(ds, [true, ...keys])) as Promise<
      Array<{ doc_key: string; likes: unknown }>
    >,
  ]);
  const likeCount = new Map(likes.map((l) => [l.doc_key, Number(l.likes)]));
  for (const row of rows)
    if (row.findable) found.set(row.docKey, asIndexed(row, likeCount.get(row.docKey) ?? 0));
  return found;
}

/** Every findable document, in batches by key (a whole index is built from these). */
export async function* scanDocuments(db: Database, batch = 5000): AsyncGenerator<IndexedDocument[]> {
  const ds = db.dataSource;
  const likeRows: Array<{ doc_key: string; likes: unknown }> = await ds.query(
    'SELECT doc_key, COUNT(*) AS likes FROM search_likes WHERE active = ? GROUP BY doc_key',
    sqlParams(ds, [true]),
  );
  const likes = new Map(likeRows.map((l) => [l.doc_key, Number(l.likes)]));
  const reader = rowReader(ds, SearchDocumentEntity);
  let after = '';
  for (;;) {
    const rows = await reader.all(
      'SELECT d.* FROM search_documents d WHERE d.doc_key > ? AND d.findable = ? ORDER BY d.doc_key LIMIT ?',
      [after, true, batch],
    );
    if (!rows.length) return;
    yield rows.map((row) => asIndexed(row, likes.get(row.docKey) ?? 0));
    after = rows.at(-1)!.docKey;
  }
}

/**
 * Records that these documents changed, for every index to pick up (same transaction as the
 * change); `document` false when only their likes did.
 */
export async function logChanges(
  manager: EntityManager,
  keys: readonly string[],
  document = true,
): Promise<void> {
  if (!keys.length) return;
  const now = new Date();
  await manager
    .createQueryBuilder()
    .insert()
    .into(SearchChangeEntity)
    .values([...new Set(keys)].map((docKey) => ({ docKey, document, createdAt: now })))
    .execute();
}

export interface Change {
  seq: bigint;
  docKey: string;
  createdAt: Date;
}

export async function changesAfter(db: Database, seq: bigint, limit: number): Promise<Change[]> {
  const rows: Array<{ seq: unknown; doc_key: string; created_at: Date | string }> = await db.dataSource.query(
    'SELECT seq, doc_key, created_at FROM search_changes WHERE seq > ? ORDER BY seq LIMIT ?',
    [String(seq), limit],
  );
  return rows.map((r) => ({
    seq: BigInt(String(r.seq)),
    docKey: r.doc_key,
    createdAt: readTime(r.created_at),
  }));
}

/** The change log's end: the last position taken so far (0 when empty). */
export async function lastSeq(db: Database): Promise<bigint> {
  const [row] = (await db.dataSource.query('SELECT MAX(seq) AS seq FROM search_changes')) as Array<{
    seq: unknown;
  }>;
  return row?.seq == null ? 0n : BigInt(String(row.seq));
}

/**
 * Where an index built from the tables now follows the change log from: after the changes older
 * than `recentMs`. A change still committing may hold a smaller seq than others already
 * committed; starting before every recent one makes it a hole the follower waits at, and
 * re-applying a change is harmless.
 */
export async function followFrom(db: Database, recentMs: number): Promise<bigint> {
  const ds = db.dataSource;
  const [row] = (await ds.query(
    'SELECT MAX(seq) AS seq FROM search_changes WHERE created_at < ?',
    sqlParams(ds, [new Date(Date.now() - recentMs)]),
  )) as Array<{ seq: unknown }>;
  return row?.seq == null ? 0n : BigInt(String(row.seq));
}

export async function readState(db: Database, name: string): Promise<string | null> {
  const rows: Array<{ value: string }> = await db.dataSource.query(
    'SELECT value FROM search_state WHERE name = ?',
    [name],
  );
  return rows[0]?.value ?? null;
}

/** Sets a state value when it still is `expected` (null: absent); false when someone changed it first. */
export async function swapState(
  db: Database,
  name: string,
  expected: string | null,
  value: string,
): Promise<boolean> {
  if (expected === null) {
    try {
      await db.dataSource.query('INSERT INTO search_state (name, value) VALUES (?, ?)', [name, value]);
      return true;
    } catch {
      return false;
    }
  }
  const result = await db.dataSource
    .createQueryBuilder()
    .update(SearchStateEntity)
    .set({ value })
    .where('name = :name AND value = :expected', { name, expected })
    .execute();
  return (result.affected ?? 0) > 0;
}

/** The users `viewerId` blocks: their content never appears in the viewer's results. */
export async function blockedBy(db: Database, viewerId: string): Promise<string[]> {
  const ds = db.dataSource;
  const rows: Array<{ blocked_id: string }> = await ds.query(
    'SELECT blocked_id FROM search_blocks WHERE blocker_id = ? AND active = ?',
    sqlParams(ds, [viewerId, true]),
  );
  return rows.map((r) => r.blocked_id);
}

/** Sets a state value, whatever it was. */
export async function writeState(db: Database, name: string, value: string): Promise<void> {
  const current = await readState(db, name);
  if (current === value) return;
  if (!(await swapState(db, name, current, value))) await writeState(db, name, value);
}

const statesOfKeys = sqlPerShape(
  (n: number) => `SELECT doc_key, findable, author_id FROM search_documents WHERE doc_key IN (${marks(n)})`,
);

export interface DocumentState {
  findable: boolean;
  authorId: string | null;
}

/**
 * Whether each document may still be found, and by whom it is: what an index answered is checked
 * against the tables, so what was hidden, deleted or blocked never shows while an index catches
 * up (or rebuilds). Absent keys are unknown documents.
 */
export async function documentStates(
  db: Database,
  keys: readonly string[],
): Promise<Map<string, DocumentState>> {
  if (!keys.length) return new Map();
  const rows: Array<{ doc_key: string; findable: unknown; author_id: string | null }> =
    await db.dataSource.query(statesOfKeys(keys.length), [...keys]);
  return new Map(
    rows.map((r) => [r.doc_key, { findable: Boolean(Number(r.findable)), authorId: r.author_id }]),
  );
}
