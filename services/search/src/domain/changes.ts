import type { Database } from '@moim/kit';
import type { IndexedDocument, SearchIndex } from '../port';
import { changesAfter, loadDocuments } from './store';

/**
 * How long a follower waits at a hole in the change log before stepping over it. Sequences are
 * taken at insert and committed in any order (two consumers, a reindex), so a hole may be a
 * change that is still committing; a rolled-back one never fills, hence the limit.
 */
export const GAP_WAIT_MS = 5000;
const BATCH = 1000;

/**
 * Follows search_changes from a position and applies each changed document, as it is now, to an
 * index. Applying reads the document's current row, so applying a change twice is harmless:
 * that is what makes waiting at holes (re-reading what follows them) safe.
 */
export class ChangeFollower {
  private readonly gapSince = new Map<bigint, number>();

  constructor(
    private readonly db: Database,
    public position: bigint,
  ) {}

  /** Applies what changed since the position (batch by batch); resolves to the documents applied. */
  async catchUp(index: SearchIndex): Promise<number> {
    let applied = 0;
    for (;;) {
      const changes = await changesAfter(this.db, this.position, BATCH);
      if (!changes.length) return applied;
      const keys = [...new Set(changes.map((c) => c.docKey))];
      await applyDocuments(index, await loadDocuments(this.db, keys));
      applied += keys.length;
      const before = this.position;
      this.position = this.advance(changes.map((c) => c.seq));
      if (changes.length < BATCH || this.position === before) return applied;
    }
  }

  /**
   * The last seq reached without a hole, or past holes first seen GAP_WAIT_MS ago or more. A hole
   * is known by its first missing seq; every hole of a batch starts waiting when first seen, so
   * holes seen together expire together.
   */
  private advance(seqs: bigint[]): bigint {
    const now = Date.now();
    let previous = this.position;
    for (const seq of seqs) {
      if (seq > previous + 1n && !this.gapSince.has(previous + 1n)) this.gapSince.set(previous + 1n, now);
      previous = seq;
    }
    let position = this.position;
    for (const seq of seqs) {
      if (seq > position + 1n && now - this.gapSince.get(position + 1n)! < GAP_WAIT_MS) break;
      position = seq;
    }
    return this.forget(position);
  }

  private forget(position: bigint): bigint {
    for (const hole of this.gapSince.keys()) if (hole <= position) this.gapSince.delete(hole);
    return position;
  }
}

export async function applyDocuments(
  index: SearchIndex,
  docs: Map<string, IndexedDocument | null>,
): Promise<void> {
  const upserts: IndexedDocument[] = [];
  const removals = [];
  for (const [key, doc] of docs) {
    if (doc) upserts.push(doc);
    else {
      const at = key.indexOf(':');
      removals.push({ kind: key.slice(0, at) as IndexedDocument['kind'], id: key.slice(at + 1) });
    }
  }
  if (removals.length) await index.remove(removals);
  if (upserts.length) await index.upsert(upserts);
}
