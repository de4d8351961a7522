/**
 * Non-negative integer keys to integers, open addressing over typed arrays: the bigram → term id
 * lookup runs for every bigram indexed (tens of millions in a bulk load), several times faster
 * than a Map of numbers.
 */
export class IntMap {
  size = 0;
  private keys = new Int32Array(1 << 16).fill(-1);
  private values = new Int32Array(1 << 16);
  private mask = (1 << 16) - 1;

  get(key: number): number {
    const { keys, mask } = this;
    let i = Math.imul(key, 0x9e3779b1) & mask;
    for (;;) {
      const k = keys[i]!;
      if (k === key) return this.values[i]!;
      if (k === -1) return -1;
      i = (i + 1) & mask;
    }
  }

  set(key: number, value: number): void {
    if (this.size * 2 >= this.keys.length) this.grow();
    const { keys, mask } = this;
    let i = Math.imul(key, 0x9e3779b1) & mask;
    while (keys[i] !== -1 && keys[i] !== key) i = (i + 1) & mask;
    if (keys[i] === -1) this.size++;
    keys[i] = key;
    this.values[i] = value;
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Int32Array(keys.length * 2).fill(-1);
    this.values = new Int32Array(keys.length * 2);
    this.mask = keys.length * 2 - 1;
    this.size = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== -1) this.set(keys[i]!, values[i]!);
  }
}
