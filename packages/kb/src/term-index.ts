/**
 * The keyword index's ranking in memory: FTS5's bm25 over postings held as typed arrays, so a search
 * costs what its terms' postings cost (a few milliseconds at 100,000 chunks) instead of FTS5 running
 * its bm25 function row by row (which costs about 1 µs per matching row: 70 ms when a query's terms
 * are common).
 *
 * Exactly FTS5's results, not an approximation of them:
 * - Terms are FTS5's own tokens. Plain ASCII text is tokenized here as unicode61 does it (runs of
 *   letters and digits, folded to lower case); any other text is tokenized by FTS5 itself (the keyword
 *   index object asks SQLite) and handed over as term counts.
 * - bm25 is FTS5's formula with its constants, operations in its order (IEEE doubles give the same
 *   bits): Σ over the query's phrases, in order, of idf · f·(k1 + 1) / (f + k1·(1 − b + b·|d|/avgdl)),
 *   idf = ln((N − n + ½) / (n + ½)) or 10⁻⁶ when that is not positive, negated. N, n and avgdl count
 *   every row of the index, as FTS5's do (filters do not change them).
 * - The best `limit` rows are FTS5's `ORDER BY bm25 LIMIT limit`: by score, equal scores in row order.
 *
 * Rows are slots in row order: a row's id only grows (the object never reuses one), so appending keeps
 * every posting list sorted. A removed row leaves a hole until the index is rebuilt from storage.
 */

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

const NON_ASCII = /[^\x20-\x7e\t\n\r]/;
const ASCII_SEPARATORS = /[^0-9a-z]+/;

/**
 * The terms of text made only of printable ASCII characters, tabs and line breaks, with their counts,
 * as FTS5's unicode61 tokenizer makes them: maximal runs of ASCII letters and digits (every other such
 * character separates), folded to lower case. Null when the text holds any other character: FTS5
 * tokenizes such text itself.
 */
export const asciiTermCounts = (text: string): Map<string, number> | null => {
  if (NON_ASCII.test(text)) return null;
  const counts = new Map<string, number>();
  for (const term of text.toLowerCase().split(ASCII_SEPARATORS)) {
    if (term) counts.set(term, (counts.get(term) ?? 0) + 1);
  }
  return counts;
};

/** A row's terms: (term id, count) pairs. */
export type TermCounts = readonly (readonly [number, number])[];

const pushVarint = (out: number[], value: number) => {
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
};

/** A row's terms as stored: by term id, each as two varints (the id's gap from the previous one, the count). */
export const encodeTermCounts = (terms: TermCounts): Uint8Array => {
  const sorted = [...terms].sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  let previous = 0;
  for (const [id, count] of sorted) {
    pushVarint(out, id - previous);
    pushVarint(out, count);
    previous = id;
  }
  return Uint8Array.from(out);
};

/** Calls `visit` with each (term id, count) of a stored row, by term id. */
export const decodeTermCounts = (bytes: Uint8Array, visit: (id: number, count: number) => void): void => {
  let i = 0;
  let id = 0;
  const read = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[i++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  };
  while (i < bytes.length) {
    id += read();
    visit(id, read());
  }
};

/** The documents a search may return: null when none can pass. */
export interface TermIndexFilter {
  tags?: readonly string[];
  category?: string;
  document_ids?: readonly string[];
}

export interface TermIndexHit {
  rowid: number;
  /** FTS5's bm25: lower is better. */
  bm25: number;
}

interface DocumentEntry {
  visible: boolean;
  tags: readonly string[];
  category: string | null;
}

/** A growable list of (slot gap, count) varints: one term's postings, in slot order. */
class Postings {
  bytes = new Uint8Array(16);
  length = 0;
  /** The last slot appended (−1: none). */
  last = -1;
  /** Rows holding the term, removed rows not counted: FTS5's n for this term. */
  rows = 0;

  append(slot: number, count: number) {
    if (this.length + 10 > this.bytes.length) {
      const grown = new Uint8Array(Math.max(64, Math.ceil(this.bytes.length * 1.5) + 10));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.write(slot - this.last);
    this.write(count);
    this.last = slot;
    this.rows += 1;
  }

  private write(value: number) {
    let v = value;
    while (v >= 0x80) {
      this.bytes[this.length++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.bytes[this.length++] = v;
  }
}

/** What a search needs from the object: FTS5's idf (ln as SQLite computes it), given N and n. */
export type Idf = (rows: number, rowsWithTerm: number) => number;

/** FTS5's idf: ln((N − n + ½) / (n + ½)), or 10⁻⁶ when that is not positive. */
export const fts5Idf =
  (ln: (x: number) => number): Idf =>
  (rows, rowsWithTerm) => {
    const idf = ln((rows - rowsWithTerm + 0.5) / (rowsWithTerm + 0.5));
    return idf <= 0 ? 1e-6 : idf;
  };

/**
 * The in-memory postings of one keyword index: documents (visibility, tags, category), rows (row id,
 * document, length in tokens) and per term the rows holding it with their counts.
 */
export class TermIndex {
  private readonly documents = new Map<string, number>();
  private documentEntries: DocumentEntry[] = [];
  private rowids = new Float64Array(1024);
  private rowDocuments = new Int32Array(1024);
  private lengths = new Int32Array(1024);
  private alive = new Uint8Array(1024);
  private slots = 0;
  private liveRows = 0;
  private liveTokens = 0;
  private readonly postings: Postings[] = [];
  // Scratch space of a search, kept between searches.
  private scores = new Float64Array(0);
  private matched = new Uint8Array(0);
  private norms = new Float64Array(0);

  /** Rows in the index (FTS5's N). */
  get rows(): number {
    return this.liveRows;
  }

  /** Tokens in the index (FTS5's column total: N · avgdl). */
  get tokens(): number {
    return this.liveTokens;
  }

  /** Removed rows still taking a slot. */
  get holes(): number {
    return this.slots - this.liveRows;
  }

  /** Bytes held: posting lists (as allocated), per-row arrays and a search's scratch arrays. */
  get bytes(): number {
    let postings = 0;
    for (const list of this.postings) if (list) postings += list.bytes.length + 32;
    const perRow = this.rowids.length * (8 + 4 + 4 + 1);
    return postings + perRow + this.scores.length * (8 + 1 + 8) + this.documentEntries.length * 64;
  }

  /** The largest row id added, or 0. */
  get lastRowid(): number {
    return this.slots === 0 ? 0 : this.rowids[this.slots - 1]!;
  }

  /** Adds or updates a document's visibility, tags and category. */
  setDocument(id: string, entry: DocumentEntry): void {
    const slot = this.documents.get(id);
    const copy = { visible: entry.visible, tags: [...entry.tags], category: entry.category };
    if (slot === undefined) {
      this.documents.set(id, this.documentEntries.length);
      this.documentEntries.push(copy);
    } else {
      this.documentEntries[slot] = copy;
    }
  }

  /** Makes a document visible or not; false when it is not known. */
  setVisible(id: string, visible: boolean): boolean {
    const slot = this.documents.get(id);
    if (slot === undefined) return false;
    this.documentEntries[slot]!.visible = visible;
    return true;
  }

  /** Adds a row after every row already added (its id is larger). `terms` as encodeTermCounts made them. */
  addRow(rowid: number, documentId: string, length: number, terms: Uint8Array): void {
    if (this.slots > 0 && rowid <= this.rowids[this.slots - 1]!) {
      throw new Error(`row ${rowid} added after row ${this.rowids[this.slots - 1]}`);
    }
    let document = this.documents.get(documentId);
    if (document === undefined) {
      this.setDocument(documentId, { visible: false, tags: [], category: null });
      document = this.documents.get(documentId)!;
    }
    if (this.slots === this.rowids.length) this.grow();
    const slot = this.slots++;
    this.rowids[slot] = rowid;
    this.rowDocuments[slot] = document;
    this.lengths[slot] = length;
    this.alive[slot] = 1;
    this.liveRows += 1;
    this.liveTokens += length;
    decodeTermCounts(terms, (id, count) => {
      let list = this.postings[id];
      if (!list) {
        list = new Postings();
        this.postings[id] = list;
      }
      list.append(slot, count);
    });
  }

  /** Removes a row (its stored terms say which postings lose it). False when it is not in the index. */
  removeRow(rowid: number, terms: Uint8Array): boolean {
    const slot = this.slotOf(rowid);
    if (slot < 0 || this.alive[slot] === 0) return false;
    this.alive[slot] = 0;
    this.liveRows -= 1;
    this.liveTokens -= this.lengths[slot]!;
    decodeTermCounts(terms, (id) => {
      const list = this.postings[id];
      if (list) list.rows -= 1;
    });
    return true;
  }

  /** Rows holding a term (FTS5's n), removed rows not counted. */
  rowsWithTerm(termId: number): number {
    return this.postings[termId]?.rows ?? 0;
  }

  /**
   * The best `limit` visible rows passing the filter for the phrases (term ids in query order, null for
   * a term the index has never seen), all of them (AND) or any (OR), as FTS5's
   * `ORDER BY bm25(fts) LIMIT limit` returns them: by bm25, equal scores in row order.
   */
  search(
    phrases: readonly (number | null)[],
    operator: 'AND' | 'OR',
    limit: number,
    filter: TermIndexFilter | undefined,
    idf: Idf,
  ): TermIndexHit[] {
    const n = this.liveRows;
    if (n === 0 || limit <= 0 || phrases.length === 0) return [];
    if (operator === 'AND' && phrases.some((p) => p === null || this.rowsWithTerm(p) === 0)) return [];
    const allowed = this.allowedDocuments(filter);
    if (allowed === null) return [];
    const slots = this.slots;
    if (this.scores.length < slots) {
      this.scores = new Float64Array(this.rowids.length);
      this.matched = new Uint8Array(this.rowids.length);
      this.norms = new Float64Array(this.rowids.length);
    }
    const { scores, matched, norms, alive, lengths } = this;
    scores.fill(0, 0, slots);
    matched.fill(0, 0, slots);
    const avgdl = this.liveTokens / n;
    const k1plus1 = BM25_K1 + 1.0;
    for (const phrase of phrases) {
      if (phrase === null) continue;
      const list = this.postings[phrase];
      if (!list || list.rows === 0) continue;
      const weight = idf(n, list.rows);
      const bytes = list.bytes;
      const end = list.length;
      let i = 0;
      let slot = -1;
      while (i < end) {
        let gap = bytes[i++]!;
        if (gap >= 0x80) {
          gap &= 0x7f;
          let shift = 7;
          for (;;) {
            const byte = bytes[i++]!;
            gap |= (byte & 0x7f) << shift;
            if (byte < 0x80) break;
            shift += 7;
          }
        }
        let count = bytes[i++]!;
        if (count >= 0x80) {
          count &= 0x7f;
          let shift = 7;
          for (;;) {
            const byte = bytes[i++]!;
            count |= (byte & 0x7f) << shift;
            if (byte < 0x80) break;
            shift += 7;
          }
        }
        slot += gap;
        if (alive[slot] === 0) continue;
        if (matched[slot] === 0) norms[slot] = BM25_K1 * (1 - BM25_B + (BM25_B * lengths[slot]!) / avgdl);
        scores[slot] += weight * ((count * k1plus1) / (count + norms[slot]!));
        matched[slot] += 1;
      }
    }
    const need = operator === 'AND' ? phrases.length : 1;
    const best = new BestRows(limit);
    const documents = this.rowDocuments;
    for (let slot = 0; slot < slots; slot++) {
      if (matched[slot]! < need || alive[slot] === 0 || allowed[documents[slot]!] === 0) continue;
      best.offer(-1.0 * scores[slot]!, slot);
    }
    return best.sorted().map(([bm25, slot]) => ({ rowid: this.rowids[slot]!, bm25 }));
  }

  /** 1 per document a search may return (visible, passing the filter), else 0; null when none may. */
  private allowedDocuments(filter: TermIndexFilter | undefined): Uint8Array | null {
    const ids = filter?.document_ids?.length ? new Set(filter.document_ids) : null;
    const tags = filter?.tags?.length ? new Set(filter.tags) : null;
    const category = filter?.category;
    const allowed = new Uint8Array(this.documentEntries.length);
    let any = false;
    for (const [id, slot] of this.documents) {
      const entry = this.documentEntries[slot]!;
      if (!entry.visible) continue;
      if (category !== undefined && entry.category !== category) continue;
      if (ids && !ids.has(id)) continue;
      if (tags && !entry.tags.some((t) => tags.has(t))) continue;
      allowed[slot] = 1;
      any = true;
    }
    return any ? allowed : null;
  }

  private slotOf(rowid: number): number {
    let lo = 0;
    let hi = this.slots - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = this.rowids[mid]!;
      if (value === rowid) return mid;
      if (value < rowid) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private grow() {
    const size = this.rowids.length * 2;
    const rowids = new Float64Array(size);
    rowids.set(this.rowids);
    this.rowids = rowids;
    const rowDocuments = new Int32Array(size);
    rowDocuments.set(this.rowDocuments);
    this.rowDocuments = rowDocuments;
    const lengths = new Int32Array(size);
    lengths.set(this.lengths);
    this.lengths = lengths;
    const alive = new Uint8Array(size);
    alive.set(this.alive);
    this.alive = alive;
  }
}

/** The `capacity` lowest (score, slot) pairs, by score then slot: a bounded max-heap. */
class BestRows {
  private readonly scores: Float64Array;
  private readonly slots: Int32Array;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.scores = new Float64Array(capacity);
    this.slots = new Int32Array(capacity);
  }

  /** Slots come in increasing order, so an equal score never displaces one already kept. */
  offer(score: number, slot: number): void {
    const { scores, slots } = this;
    if (this.size < this.capacity) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(score, slot, scores[parent]!, slots[parent]!)) break;
        scores[i] = scores[parent]!;
        slots[i] = slots[parent]!;
        i = parent;
      }
      scores[i] = score;
      slots[i] = slot;
      return;
    }
    if (!worse(scores[0]!, slots[0]!, score, slot)) return;
    let i = 0;
    const n = this.size;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && worse(scores[right]!, slots[right]!, scores[left]!, slots[left]!) ? right : left;
      if (!worse(scores[child]!, slots[child]!, score, slot)) break;
      scores[i] = scores[child]!;
      slots[i] = slots[child]!;
      i = child;
    }
    scores[i] = score;
    slots[i] = slot;
  }

  sorted(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.size; i++) out.push([this.scores[i]!, this.slots[i]!]);
    return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }
}

/** Whether (score a, slot a) ranks below (score b, slot b): a higher bm25, or the same and a later row. */
const worse = (scoreA: number, slotA: number, scoreB: number, slotB: number) =>
  scoreA > scoreB || (scoreA === scoreB && slotA > slotB);
