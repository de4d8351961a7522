import type { SearchDocument, SearchKind, ServiceName } from '@moim/events';
import { In, type EntityManager } from 'typeorm';
import {
  fetchSearchablePage,
  isUniqueViolation,
  lockRows,
  marks,
  SEARCH_KIND_OWNERS,
  SEARCH_KINDS,
  sqlParams,
  sqlPerShape,
  type Database,
} from '@moim/kit';
import { SearchDocumentEntity } from '../entities';
import { MAX_BODY, MAX_TITLE } from '../events';
import { GENERATION } from './indexes';
import { keyOf, lastSeq, logChanges, readState, writeState } from './store';

const PAGE = 500;

export interface ReindexProgress {
  kind: SearchKind;
  done: number;
  /** What search held of this kind before (an estimate of what the owner has). */
  expected: number;
}

export interface ReindexSummary {
  kind: SearchKind;
  seen: number;
  /** Findable before, but the owner no longer has it (a change whose event was lost or not yet applied). */
  retired: number;
}

/**
 * Rebuilds search's documents from the owners (their signed `/internal/searchable` pages), then
 * bumps the generation: every index builds a new projection beside the live one and swaps it in,
 * so search answers throughout. Events keep flowing meanwhile, and win: a page never overwrites a
 * document an event changed after the page was asked for, nor retires one changed after the
 * reindex began (positions in the change log, not clocks, say what came after).
 */
export async function reindex(options: {
  db: Database;
  /** An owner's base URL (its GraphQL URL without `/graphql`). */
  urlOf: (service: ServiceName) => string;
  secret: string;
  kinds?: readonly SearchKind[];
  onProgress?: (progress: ReindexProgress) => void;
}): Promise<ReindexSummary[]> {
  const { db, urlOf, secret, onProgress } = options;
  const kinds = options.kinds ?? SEARCH_KINDS;
  const began = await lastSeq(db);
  const summaries: ReindexSummary[] = [];
  for (const kind of kinds) {
    const expected = await findableCount(db, kind);
    const seen = new Set<string>();
    let after: string | null = null;
    do {
      const asked = await lastSeq(db);
      const page = await fetchSearchablePage(urlOf(SEARCH_KIND_OWNERS[kind]), secret, {
        kind,
        after,
        limit: PAGE,
      });
      await retriedOnDeadlock(() =>
        db.transaction(
          async (manager) => logChanges(manager, await writePage(manager, page.documents, asked)),
          { background: true, isolation: 'READ COMMITTED' },
        ),
      );
      for (const d of page.documents) seen.add(keyOf(d.kind, d.id));
      onProgress?.({ kind, done: seen.size, expected });
      after = page.next;
    } while (after);
    const retired = await retire(db, kind, seen, began);
    summaries.push({ kind, seen: seen.size, retired });
  }
  const generation = Number((await readState(db, GENERATION)) ?? 0) + 1;
  await writeState(db, GENERATION, String(generation));
  return summaries;
}

async function findableCount(db: Database, kind: SearchKind): Promise<number> {
  return db.dataSource.getRepository(SearchDocumentEntity).countBy({ kind, findable: true });
}

const changedAfter = sqlPerShape(
  (n: number) =>
    `SELECT DISTINCT doc_key FROM search_changes WHERE seq > ? AND document = ? AND doc_key IN (${marks(n)})`,
);

/** Of `keys`, those an event (or another reindex) changed after change-log position `seq` (likes aside). */
async function keysChangedAfter(manager: EntityManager, keys: string[], seq: bigint): Promise<Set<string>> {
  if (!keys.length) return new Set();
  const rows: Array<{ doc_key: string }> = await manager.query(
    changedAfter(keys.length),
    sqlParams(manager.connection, [String(seq), true, ...keys]),
  );
  return new Set(rows.map((r) => r.doc_key));
}

/**
 * Writes a page's documents, but not over a change logged after `asked` (the log's end when the
 * page was asked for): that change is at least as new as the page, or a later one follows it.
 * The rows are locked first, so an event applied meanwhile waits, or is seen. Resolves to the
 * keys written.
 */
async function writePage(
  manager: EntityManager,
  documents: SearchDocument[],
  asked: bigint,
): Promise<string[]> {
  const keys = documents.map((d) => keyOf(d.kind, d.id));
  if (!keys.length) return [];
  await lockRows(manager, SearchDocumentEntity, { docKey: In(keys) });
  const newer = await keysChangedAfter(manager, keys, asked);
  const existing = new Set(
    (
      await manager
        .getRepository(SearchDocumentEntity)
        .find({ select: { docKey: true }, where: { docKey: In(keys) } })
    ).map((row) => row.docKey),
  );
  const now = new Date();
  const written: string[] = [];
  for (const d of documents) {
    const docKey = keyOf(d.kind, d.id);
    if (newer.has(docKey)) continue;
    const state = {
      title: d.title.slice(0, MAX_TITLE),
      body: d.body.slice(0, MAX_BODY),
      authorId: d.authorId,
      popularity: d.popularity,
      createdAt: new Date(d.createdAt),
      findable: true,
      touchedAt: now,
    };
    if (existing.has(docKey)) {
      // The owner's sequence (version) stays: later events still apply over it.
      await manager.update(SearchDocumentEntity, { docKey }, state);
    } else {
      try {
        await manager.insert(SearchDocumentEntity, {
          docKey,
          kind: d.kind,
          id: d.id,
          ...state,
          version: '0',
        });
      } catch (err) {
        // An event inserted it meanwhile: its state stands.
        if (!isUniqueViolation(err)) throw err;
        continue;
      }
    }
    written.push(docKey);
  }
  return written;
}

const RETIRE_BATCH = 500;

/**
 * Retires documents of `kind` the owner no longer pages through — unless an event changed them
 * after the reindex began (`began`): a document created meanwhile may sit on a page already read.
 */
async function retire(
  db: Database,
  kind: SearchKind,
  seen: ReadonlySet<string>,
  began: bigint,
): Promise<number> {
  const findable = await db.dataSource
    .getRepository(SearchDocumentEntity)
    .find({ select: { docKey: true }, where: { kind, findable: true } });
  const unseen = findable.map((row) => row.docKey).filter((key) => !seen.has(key));
  let retired = 0;
  for (let i = 0; i < unseen.length; i += RETIRE_BATCH) {
    const slice = unseen.slice(i, i + RETIRE_BATCH);
    retired += await retriedOnDeadlock(() =>
      db.transaction(
        async (manager) => {
          await lockRows(manager, SearchDocumentEntity, { docKey: In(slice) });
          const newer = await keysChangedAfter(manager, slice, began);
          const stale = slice.filter((key) => !newer.has(key));
          if (!stale.length) return 0;
          await manager.update(
            SearchDocumentEntity,
            { docKey: In(stale) },
            { findable: false, touchedAt: new Date() },
          );
          await logChanges(manager, stale);
          return stale.length;
        },
        { background: true, isolation: 'READ COMMITTED' },
      ),
    );
  }
  return retired;
}

/**
 * Runs a transaction again when MySQL picked it as a deadlock's victim: an event applying several
 * documents may lock them in another order than a page does (nothing of the victim was written).
 */
async function retriedOnDeadlock<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const code = (err as { code?: string; driverError?: { code?: string } }).driverError?.code;
      if (attempt >= attempts || code !== 'ER_LOCK_DEADLOCK') throw err;
    }
  }
}
