import { normalize } from '../normalize';
import type { PostingBuffer } from './segment';
import type { TermDictionary } from './terms';
import { isPlain, tokenize, tokenizeChoseong, type ChoseongSink, type TokenSink } from './tokenize';

const TF_MAX = 15;

/**
 * Turns one document's title and body into postings: term ids with their counts per field,
 * packed in a byte (title count high nibble, body low). Terms are collected as `id × 2 + field` in
 * a scratch array and sorted, which counts them without a Map per document.
 */
export class DocIndexer {
  private scratch = new Int32Array(256);
  private n = 0;
  private field = 0;
  private text = '';
  private readonly sink: TokenSink & ChoseongSink;

  constructor(private readonly dictionary: TermDictionary) {
    const push = (id: number) => {
      if (this.n === this.scratch.length) {
        const grown = new Int32Array(this.scratch.length * 2);
        grown.set(this.scratch);
        this.scratch = grown;
      }
      this.scratch[this.n++] = id * 2 + this.field;
    };
    this.sink = {
      bigram: (key) => push(dictionary.numberId(key)),
      wordStart: (key) => push(dictionary.numberId(key)),
      word: (from, to) => push(dictionary.wordId(this.text.slice(from, to).toLowerCase())),
    };
  }

  /** Adds the document's postings to the buffer; returns its field lengths in terms. */
  index(slot: number, title: string, body: string, out: PostingBuffer): { title: number; body: number } {
    this.n = 0;
    this.field = 0;
    if (title !== '') {
      this.text = normalize(title);
      tokenize(this.text, this.sink);
      tokenizeChoseong(this.text, this.sink);
    }
    const titleLength = this.n;
    this.field = 1;
    if (body !== '') {
      this.text = isPlain(body) ? body : normalize(body);
      tokenize(this.text, this.sink);
    }
    const bodyLength = this.n - titleLength;
    this.text = '';
    const terms = this.scratch.subarray(0, this.n).sort();
    let i = 0;
    while (i < terms.length) {
      const id = terms[i]! >> 1;
      let titleTf = 0;
      let bodyTf = 0;
      for (; i < terms.length && terms[i]! >> 1 === id; i++) {
        if ((terms[i]! & 1) === 0) titleTf++;
        else bodyTf++;
      }
      out.push(id, slot, (Math.min(titleTf, TF_MAX) << 4) | Math.min(bodyTf, TF_MAX));
    }
    return { title: titleLength, body: bodyLength };
  }
}
