import { choseong } from '../normalize';

/** Keys of initial consonants are set apart from text keys by this mark. */
const CHOSEONG_MARK = '\u0001';
/** New keys are scanned one by one until there are this many (or a sixteenth of the sorted ones). */
const PENDING_MIN = 512;

/**
 * Title prefixes for suggestions: for each word of a title, the rest of the title from that word
 * on, spaceless (so `스타벅스 강` and `스타벅스강` both find `스타벅스 강남역점`, and `강남` does
 * too), and the same for its initial consonants. Sorted, so a prefix is a binary search and a
 * range; new titles wait in a short unsorted tail.
 */
export class SuggestIndex {
  private keys: string[] = [];
  private slots: number[] = [];
  private pendingKeys: string[] = [];
  private pendingSlots: number[] = [];

  /** `title` normalised. */
  add(slot: number, title: string): void {
    const words = title.split(' ').filter((w) => w !== '');
    const initials = choseong(title).split(' ');
    for (let i = 0; i < words.length; i++) this.push(words.slice(i).join(''), slot);
    for (let i = 0; i < initials.length; i++) {
      const rest = initials.slice(i).join('');
      if (rest !== '') this.push(CHOSEONG_MARK + rest, slot);
    }
  }

  /** Slots whose keys start with the prefix (normalised; `initials` when it is made of initial consonants); may repeat. */
  *lookup(prefix: string, initials: boolean, alive: Uint8Array): Generator<number> {
    this.settleIfLarge(alive);
    const key = (initials ? CHOSEONG_MARK : '') + prefix.replaceAll(' ', '');
    for (let i = lowerBound(this.keys, key); i < this.keys.length && this.keys[i]!.startsWith(key); i++) {
      yield this.slots[i]!;
    }
    for (let i = 0; i < this.pendingKeys.length; i++) {
      if (this.pendingKeys[i]!.startsWith(key)) yield this.pendingSlots[i]!;
    }
  }

  settleIfLarge(alive: Uint8Array): void {
    if (this.pendingKeys.length > Math.max(PENDING_MIN, this.keys.length / 16)) this.settle(alive);
  }

  /** Merges the tail in and drops the keys of dead slots. */
  private settle(alive: Uint8Array): void {
    const order = this.pendingKeys
      .map((_, i) => i)
      .sort((a, b) => compare(this.pendingKeys[a]!, this.pendingKeys[b]!));
    const keys: string[] = [];
    const slots: number[] = [];
    let i = 0;
    let j = 0;
    while (i < this.keys.length || j < order.length) {
      let key: string;
      let slot: number;
      if (j >= order.length || (i < this.keys.length && this.keys[i]! <= this.pendingKeys[order[j]!]!)) {
        key = this.keys[i]!;
        slot = this.slots[i++]!;
      } else {
        key = this.pendingKeys[order[j]!]!;
        slot = this.pendingSlots[order[j++]!]!;
      }
      if (alive[slot] === 0) continue;
      keys.push(key);
      slots.push(slot);
    }
    this.keys = keys;
    this.slots = slots;
    this.pendingKeys = [];
    this.pendingSlots = [];
  }

  private push(key: string, slot: number): void {
    this.pendingKeys.push(key);
    this.pendingSlots.push(slot);
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function lowerBound(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
