import {
  badInput,
  DEFAULT_PAGE_SIZE,
  decodeRankedCursor,
  encodeRankedCursor,
  MAX_PAGE_SIZE,
} from '@moim/kit';
import type { ChatMessage } from '../entities';
import type { MessageWindow } from '../loaders';

export interface MessagePageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** A message's place in its room: ranked cursors (what the gateway's checkCursor accepts). */
export const messageCursor = (m: ChatMessage): string =>
  encodeRankedCursor({ rank: 0, keys: [String(m.seq)], id: m.id });

function seqOf(cursor: string | null | undefined, field: 'after' | 'before'): number | null {
  if (cursor == null) return null;
  try {
    const position = decodeRankedCursor(cursor);
    const seq = Number(position.keys[0]);
    if (position.rank === 0 && position.keys.length === 1 && /^\d{1,10}$/.test(position.keys[0]!) && seq >= 1)
      return seq;
  } catch {
    // refused below, naming the argument
  }
  throw badInput(`${field} is not a valid cursor`, field);
}

function sizeOf(value: number | null | undefined, field: 'first' | 'last'): number | null {
  if (value == null) return null;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE)
    throw badInput(`${field} must be between 1 and ${MAX_PAGE_SIZE}`, field);
  return value;
}

/**
 * The window of `messages(first, after, last, before)`: `first`/`after` read forwards, `last`/
 * `before` backwards from the newest; with neither size nor cursor, the newest DEFAULT_PAGE_SIZE.
 */
export function windowOf(args: MessagePageArgs): MessageWindow {
  const first = sizeOf(args.first, 'first');
  const last = sizeOf(args.last, 'last');
  if (first !== null && last !== null) throw badInput('Give first or last, not both', 'last');
  const afterSeq = seqOf(args.after, 'after');
  const beforeSeq = seqOf(args.before, 'before');
  const backward = last !== null || (first === null && (beforeSeq !== null || afterSeq === null));
  return { afterSeq, beforeSeq, size: first ?? last ?? DEFAULT_PAGE_SIZE, backward };
}

/** A page from up to size + 1 rows in reading order: oldest first, whichever way it was read. */
export function messageConnection(rows: ChatMessage[], window: MessageWindow) {
  const more = rows.length > window.size;
  const kept = rows.slice(0, window.size);
  const page = window.backward ? kept.reverse() : kept;
  const edges = page.map((node) => ({ cursor: messageCursor(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: window.backward ? window.beforeSeq !== null : more,
      hasPreviousPage: window.backward ? more : window.afterSeq !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
