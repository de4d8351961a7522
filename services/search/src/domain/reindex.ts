import type { EntityManager } from 'typeorm';
import type { SearchDocument, SearchKind, ServiceName } from '@moim/events';
import { fetchSearchablePage, isUniqueViolation, type Database } from '@moim/kit';
import { SearchDocumentEntity } from '../entities';
import { MAX_BODY, MAX_TITLE } from '../events';
import { GENERATION } from './indexes';
import { keyOf, logChanges, readState, writeState } from './store';

/** Who owns (and so announces and pages through) each kind. */
export const OWNERS: Readonly<Record<SearchKind, ServiceName>> = {
  USER: 'social',
  POST: 'social',
  REVIEW: 'review',
  PLACE: 'review',
  PRODUCT: 'review',
  COURSE: 'course-catalog',
};

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
 * row an event wrote after the page was read.
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
  const kinds = options.kinds ?? (Object.keys(OWNERS) as SearchKind[]);
  const startedAt = new Date();
  const summaries: ReindexSummary[] = [];
  for (const kind of kinds) {
    const expected = await findableCount(db, kind);
    let after: string | null = null;
    let seen = 0;
    do {
      const readAt = new Date();
      const page = await fetchSearchablePage(urlOf(OWNERS[kind]), secret, { kind, after, limit: PAGE });
      await db.transaction(
        async (manager) => logChanges(manager, await writePage(manager, page.documents, readAt)),
        { background: true },
      );
      seen += page.documents.length;
      onProgress?.({ kind, done: seen, expected });
      after = page.next;
    } while (after);
    const retired = await db.transaction((manager) => retire(manager, kind, startedAt), { background: true });
    summaries.push({ kind, seen, retired });
  }
  const generation = Number((await readState(db, GENERATION)) ?? 0) + 1;
  await writeState(db, GENERATION, String(generation));
  return summaries;
}

async function findableCount(db: Database, kind: SearchKind): Promise<number> {
  return db.dataSource.getRepository(SearchDocumentEntity).countBy({ kind, findable: true });
}

/** Writes a page's documents; keeps what an event wrote after `readAt`. Resolves to the keys written. */
async function writePage(
  manager: EntityManager,
  documents: SearchDocument[],
  readAt: Date,
): Promise<string[]> {
  const now = new Date();
  const written: string[] = [];
  for (const d of documents) {
    const docKey = keyOf(d.kind, d.id);
    const state = {
      title: d.title.slice(0, MAX_TITLE),
      body: d.body.slice(0, MAX_BODY),
      authorId: d.authorId,
      popularity: d.popularity,
      createdAt: new Date(d.createdAt),
      findable: true,
      touchedAt: now,
    };
    const updated = await manager
      .createQueryBuilder()
      .update(SearchDocumentEntity)
      .set(state)
      .where('doc_key = :docKey AND touched_at < :readAt', { docKey, readAt })
      .execute();
    if (updated.affected) {
      written.push(docKey);
      continue;
    }
    // Absent (announced before search existed, or its event is still on the way), or touched
    // by an event after the page was read: then the event's state stands.
    const exists = await manager.getRepository(SearchDocumentEntity).existsBy({ docKey });
    if (exists) continue;
    try {
      await manager.insert(SearchDocumentEntity, { docKey, kind: d.kind, id: d.id, ...state, version: '0' });
      written.push(docKey);
    } catch (err) {
      // An event inserted it meanwhile: its state stands.
      if (!isUniqueViolation(err)) throw err;
    }
  }
  return written;
}

/** Documents of `kind` the owner no longer pages through (not touched since the reindex began). */
async function retire(manager: EntityManager, kind: SearchKind, startedAt: Date): Promise<number> {
  const stale = await manager
    .getRepository(SearchDocumentEntity)
    .createQueryBuilder('d')
    .select('d.docKey', 'docKey')
    .where('d.kind = :kind AND d.findable = :findable AND d.touchedAt < :startedAt', {
      kind,
      findable: true,
      startedAt,
    })
    .getRawMany<{ docKey: string }>();
  const keys = stale.map((row) => row.docKey);
  for (let i = 0; i < keys.length; i += 500) {
    const slice = keys.slice(i, i + 500);
    await manager
      .createQueryBuilder()
      .update(SearchDocumentEntity)
      .set({ findable: false, touchedAt: new Date() })
      .where('doc_key IN (:...slice) AND touched_at < :startedAt', { slice, startedAt })
      .execute();
    await logChanges(manager, slice);
  }
  return keys.length;
}
