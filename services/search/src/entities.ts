import { EntitySchema } from 'typeorm';
import type { SearchKind } from '@moim/events';
import { bigintAsString } from '@moim/kit';

/**
 * What search knows of one thing, as its owner last announced it. The index (embedded or
 * Algolia) is a projection of these rows and can always be rebuilt from them.
 */
export interface SearchDocumentRow {
  /** `REVIEW:<id>`: one key names the document across tables and indexes. */
  docKey: string;
  kind: SearchKind;
  id: string;
  title: string;
  body: string;
  authorId: string | null;
  popularity: number;
  createdAt: Date;
  /** False once deleted, hidden or cancelled: kept, so an older event cannot bring it back. */
  findable: boolean;
  /** The owner's outbox sequence of the change last applied (0: written by a reindex). */
  version: string;
  /** When an event or a reindex last wrote it: a reindex retires the rows it did not see. */
  touchedAt: Date;
}

/**
 * Who likes a review or post, from social's like events: one row per pair, as the latest event
 * says (they may come before the document, or out of order), counted when the index loads it.
 */
export interface SearchLikeRow {
  docKey: string;
  userId: string;
  active: boolean;
  version: string;
}

/**
 * A change to apply to the indexes, in commit order (mostly: see domain/changes.ts on holes). Every
 * replica's embedded index and the Algolia worker follow this log; rows are pruned after a week.
 */
export interface SearchChangeRow {
  seq: string;
  docKey: string;
  /** False when only its likes changed: a reindex lets document changes win, not likes. */
  document: boolean;
  createdAt: Date;
}

export interface SearchBlockRow {
  blockerId: string;
  blockedId: string;
  active: boolean;
  version: string;
}

/** Small named values: the index generation (a reindex bumps it), the Algolia sync's cursor. */
export interface SearchStateRow {
  name: string;
  value: string;
}

const id = { type: 'varchar', length: 36 } as const;
const key = { type: 'varchar', length: 50 } as const;

export const SearchDocumentEntity = new EntitySchema<SearchDocumentRow>({
  name: 'SearchDocument',
  tableName: 'search_documents',
  columns: {
    docKey: { name: 'doc_key', ...key, primary: true },
    kind: { type: 'varchar', length: 8 },
    id,
    title: { type: 'text' },
    body: { type: 'text' },
    authorId: { name: 'author_id', ...id, nullable: true },
    popularity: { type: 'int' },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    findable: { type: 'boolean' },
    version: { type: 'bigint', transformer: bigintAsString },
    touchedAt: { name: 'touched_at', type: 'datetime', precision: 3 },
  },
});

export const SearchLikeEntity = new EntitySchema<SearchLikeRow>({
  name: 'SearchLike',
  tableName: 'search_likes',
  columns: {
    docKey: { name: 'doc_key', ...key, primary: true },
    userId: { name: 'user_id', ...id, primary: true },
    active: { type: 'boolean' },
    version: { type: 'bigint', transformer: bigintAsString },
  },
});

export const SearchChangeEntity = new EntitySchema<SearchChangeRow>({
  name: 'SearchChange',
  tableName: 'search_changes',
  columns: {
    seq: { type: 'bigint', primary: true, generated: 'increment', transformer: bigintAsString },
    docKey: { name: 'doc_key', ...key },
    document: { type: 'boolean' },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
  },
});

export const SearchBlockEntity = new EntitySchema<SearchBlockRow>({
  name: 'SearchBlock',
  tableName: 'search_blocks',
  columns: {
    blockerId: { name: 'blocker_id', ...id, primary: true },
    blockedId: { name: 'blocked_id', ...id, primary: true },
    active: { type: 'boolean' },
    version: { type: 'bigint', transformer: bigintAsString },
  },
});

export const SearchStateEntity = new EntitySchema<SearchStateRow>({
  name: 'SearchState',
  tableName: 'search_state',
  columns: {
    name: { type: 'varchar', length: 40, primary: true },
    value: { type: 'varchar', length: 100 },
  },
});

export const entities = [
  SearchDocumentEntity,
  SearchLikeEntity,
  SearchChangeEntity,
  SearchBlockEntity,
  SearchStateEntity,
];
