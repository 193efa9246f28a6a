import type { NormalizedFilter, VectorMatch, VectorMetadata } from './types';
import { quantize, unitCosine } from './vector-math';

/** Rows per block: blocks grow the index without ever copying what is already there. */
const BLOCK_ROWS = 4096;
/** Approximate candidates kept for exact re-ranking: enough that int8 rounding never changes the top K. */
export const rerankCandidates = (topK: number): number => topK * 4 + 16;

/** Small integer ids for repeated strings (document ids, categories, tag lists). */
class Interner<T = string> {
  readonly values: T[] = [];
  private readonly index = new Map<string, number>();
  id(key: string, value: T): number {
    let id = this.index.get(key);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.index.set(key, id);
    }
    return id;
  }
  find(key: string): number | undefined {
    return this.index.get(key);
  }
}

interface Block {
  codes: Int8Array;
  scales: Float32Array;
  docs: Int32Array;
  categories: Int32Array;
  tagLists: Int32Array;
  chunks: Float64Array;
  /** NaN = no page. */
  pages: Float64Array;
}

export interface Candidate {
  id: string;
  /** The int8 estimate of the cosine similarity. */
  approx: number;
}

/** Exact float vectors (unit length) for candidate ids, for re-ranking; missing ids keep their estimate. */
export type ExactVectors = (ids: string[]) => Map<string, ArrayLike<number>>;

/**
 * An in-memory cosine index over int8-quantised unit vectors: 1 byte per dimension plus ~150 bytes
 * per row for its id, id map and metadata (100,000 × 384 dims measured at 54 MB), scanned exhaustively (exact recall up to int8 rounding),
 * with the best candidates re-ranked on exact float vectors when the caller can supply them.
 * Metadata is kept as interned integers so filters cost a lookup per row, not a string compare.
 */
export class MemoryIndex {
  readonly dims: number;
  private readonly blocks: Block[] = [];
  private readonly ids: string[] = [];
  private readonly rowOf = new Map<string, number>();
  private readonly docDict = new Interner();
  private readonly categoryDict = new Interner();
  private readonly tagDict = new Interner<string[]>();

  constructor(dims: number) {
    this.dims = dims;
  }

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.rowOf.has(id);
  }

  /** Inserts or replaces `id` from a unit vector stored at `values[offset…offset + dims)`. */
  set(id: string, metadata: VectorMetadata, values: ArrayLike<number>, offset = 0): void {
    const row = this.rowFor(id);
    const block = this.blocks[Math.floor(row / BLOCK_ROWS)];
    const r = row % BLOCK_ROWS;
    block.scales[r] = quantize(values, offset, this.dims, block.codes, r * this.dims);
    this.writeMetadata(block, r, metadata);
  }

  /** Inserts or replaces `id` from codes already quantised (as persisted next to the float vector). */
  setQuantized(id: string, metadata: VectorMetadata, codes: Int8Array, scale: number): void {
    const row = this.rowFor(id);
    const block = this.blocks[Math.floor(row / BLOCK_ROWS)];
    const r = row % BLOCK_ROWS;
    block.codes.set(codes.subarray(0, this.dims), r * this.dims);
    block.scales[r] = scale;
    this.writeMetadata(block, r, metadata);
  }

  /** Removes `id` by moving the last row into its place. */
  delete(id: string): boolean {
    const row = this.rowOf.get(id);
    if (row === undefined) return false;
    const last = this.ids.length - 1;
    if (row !== last) {
      const [to, tr] = this.locate(row);
      const [from, fr] = this.locate(last);
      const d = this.dims;
      to.codes.set(from.codes.subarray(fr * d, fr * d + d), tr * d);
      to.scales[tr] = from.scales[fr];
      to.docs[tr] = from.docs[fr];
      to.categories[tr] = from.categories[fr];
      to.tagLists[tr] = from.tagLists[fr];
      to.chunks[tr] = from.chunks[fr];
      to.pages[tr] = from.pages[fr];
      const moved = this.ids[last];
      this.ids[row] = moved;
      this.rowOf.set(moved, row);
    }
    this.ids.pop();
    this.rowOf.delete(id);
    // Free the trailing block once it is empty, so deletes give memory back.
    if (this.blocks.length > Math.ceil(this.ids.length / BLOCK_ROWS) + 1) this.blocks.pop();
    return true;
  }

  metadata(id: string): VectorMetadata | undefined {
    const row = this.rowOf.get(id);
    if (row === undefined) return undefined;
    const [b, r] = this.locate(row);
    return {
      document_id: this.docDict.values[b.docs[r]],
      chunk_index: b.chunks[r],
      page: Number.isNaN(b.pages[r]) ? null : b.pages[r],
      tags: [...this.tagDict.values[b.tagLists[r]]],
      category: b.categories[r] < 0 ? null : this.categoryDict.values[b.categories[r]],
    };
  }

  /** The `limit` best rows for a unit query by int8 estimate, best first, among rows passing `filter`. */
  candidates(query: ArrayLike<number>, limit: number, filter: NormalizedFilter = {}): Candidate[] {
    const d = this.dims;
    if (query.length !== d) throw new Error(`query has ${query.length} dimensions, index has ${d}`);
    const q = Float32Array.from(query);
    const pass = this.compileFilter(filter);
    if (pass === null || limit <= 0) return [];
    const heap = new TopHeap(limit);
    const total = this.ids.length;
    const sparse = sparseTerms(q);
    const even = sparse?.even;
    const evenValues = sparse?.evenValues;
    const odd = sparse?.odd;
    const oddValues = sparse?.oddValues;
    for (let bi = 0; bi * BLOCK_ROWS < total; bi++) {
      const block = this.blocks[bi];
      const rows = Math.min(BLOCK_ROWS, total - bi * BLOCK_ROWS);
      const { codes, scales } = block;
      for (let r = 0; r < rows; r++) {
        if (pass !== undefined && !pass(block, r)) continue;
        const o = r * d;
        let s0 = 0;
        let s1 = 0;
        if (even && evenValues && odd && oddValues) {
          for (let k = 0; k < even.length; k++) s0 += evenValues[k] * codes[o + even[k]];
          for (let k = 0; k < odd.length; k++) s1 += oddValues[k] * codes[o + odd[k]];
        } else {
          let j = 0;
          for (; j + 1 < d; j += 2) {
            s0 += q[j] * codes[o + j];
            s1 += q[j + 1] * codes[o + j + 1];
          }
          if (j < d) s0 += q[j] * codes[o + j];
        }
        const score = (s0 + s1) * scales[r];
        if (score > heap.min || !heap.full) heap.push(score, bi * BLOCK_ROWS + r);
      }
    }
    return heap.sorted().map(([approx, row]) => ({ id: this.ids[row], approx }));
  }

  /**
   * The `topK` nearest matches with metadata. With `exact`, the best `rerankCandidates(topK)` rows by
   * estimate are re-scored on their float vectors, so scores are exact cosine similarities.
   */
  search(query: ArrayLike<number>, topK: number, filter: NormalizedFilter = {}, exact?: ExactVectors): VectorMatch[] {
    const found = this.candidates(query, exact ? rerankCandidates(topK) : topK, filter);
    let scored = found.map((c) => ({ id: c.id, score: c.approx }));
    if (exact && found.length > 0) {
      const vectors = exact(found.map((c) => c.id));
      scored = found.map((c) => {
        const v = vectors.get(c.id);
        return { id: c.id, score: v ? unitCosine(query, v) : c.approx };
      });
      scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    }
    return scored.slice(0, topK).map((m) => ({ ...m, metadata: this.metadata(m.id)! }));
  }

  /** Bytes held by the typed arrays plus an estimate for ids and the id map. */
  estimatedBytes(): number {
    const perBlock = BLOCK_ROWS * (this.dims + 4 + 4 * 3 + 8 * 2);
    return this.blocks.length * perBlock + this.ids.length * (2 * 40 + 80);
  }

  private rowFor(id: string): number {
    const existing = this.rowOf.get(id);
    if (existing !== undefined) return existing;
    const row = this.ids.length;
    if (row >= this.blocks.length * BLOCK_ROWS) this.blocks.push(this.newBlock());
    this.ids.push(id);
    this.rowOf.set(id, row);
    return row;
  }

  private newBlock(): Block {
    return {
      codes: new Int8Array(BLOCK_ROWS * this.dims),
      scales: new Float32Array(BLOCK_ROWS),
      docs: new Int32Array(BLOCK_ROWS),
      categories: new Int32Array(BLOCK_ROWS),
      tagLists: new Int32Array(BLOCK_ROWS),
      chunks: new Float64Array(BLOCK_ROWS),
      pages: new Float64Array(BLOCK_ROWS),
    };
  }

  private locate(row: number): [Block, number] {
    return [this.blocks[Math.floor(row / BLOCK_ROWS)], row % BLOCK_ROWS];
  }

  private writeMetadata(block: Block, r: number, m: VectorMetadata): void {
    block.docs[r] = this.docDict.id(m.document_id, m.document_id);
    block.categories[r] = m.category === null ? -1 : this.categoryDict.id(m.category, m.category);
    // Kept in the given order, as Vectorize returns them.
    block.tagLists[r] = this.tagDict.id(JSON.stringify(m.tags), [...m.tags]);
    block.chunks[r] = m.chunk_index;
    block.pages[r] = m.page === null ? Number.NaN : m.page;
  }

  /** undefined = every row passes; null = no row can pass; else a per-row test on interned ids. */
  private compileFilter(filter: NormalizedFilter): ((b: Block, r: number) => boolean) | undefined | null {
    const tests: ((b: Block, r: number) => boolean)[] = [];
    if (filter.documentIds) {
      const ok = new Uint8Array(this.docDict.values.length);
      let any = false;
      for (const id of filter.documentIds) {
        const n = this.docDict.find(id);
        if (n !== undefined) ok[n] = 1;
        any ||= n !== undefined;
      }
      if (!any) return null;
      tests.push((b, r) => ok[b.docs[r]] === 1);
    }
    if (filter.category !== undefined) {
      const wanted = this.categoryDict.find(filter.category);
      if (wanted === undefined) return null;
      tests.push((b, r) => b.categories[r] === wanted);
    }
    if (filter.tags) {
      const wanted = filter.tags;
      const ok = Uint8Array.from(this.tagDict.values, (list) => (list.some((t) => wanted.has(t)) ? 1 : 0));
      if (!ok.includes(1)) return null;
      tests.push((b, r) => ok[b.tagLists[r]] === 1);
    }
    if (tests.length === 0) return undefined;
    if (tests.length === 1) return tests[0];
    return (b, r) => tests.every((t) => t(b, r));
  }
}

/** The non-zero dimensions of a query, split as the dense scan splits them (even and odd). */
interface SparseTerms {
  even: Int32Array;
  evenValues: Float64Array;
  odd: Int32Array;
  oddValues: Float64Array;
}

/**
 * The query's non-zero dimensions when at most a quarter of them are non-zero, else null. A short
 * question embedded by the offline lexical model has a few (one per word), so the scan reads a few
 * bytes per row instead of every dimension. The sums are those of the dense scan bit for bit: the same
 * two accumulators (even and odd dimensions), the same order, and only exact zeros left out (x + 0 is
 * x), so the candidates and their estimates do not depend on which scan ran.
 */
const sparseTerms = (q: Float32Array): SparseTerms | null => {
  const even: number[] = [];
  const odd: number[] = [];
  for (let j = 0; j < q.length; j++) {
    if (q[j] === 0) continue;
    if ((even.length + odd.length) * 4 >= q.length) return null;
    (j % 2 === 0 ? even : odd).push(j);
  }
  return {
    even: Int32Array.from(even),
    evenValues: Float64Array.from(even, (j) => q[j]),
    odd: Int32Array.from(odd),
    oddValues: Float64Array.from(odd, (j) => q[j]),
  };
};

/** A bounded min-heap of (score, row): keeps the `capacity` highest scores. */
class TopHeap {
  private readonly scores: Float64Array;
  private readonly rows: Int32Array;
  private n = 0;
  constructor(private readonly capacity: number) {
    this.scores = new Float64Array(capacity);
    this.rows = new Int32Array(capacity);
  }
  get full(): boolean {
    return this.n === this.capacity;
  }
  get min(): number {
    return this.n === 0 ? Number.NEGATIVE_INFINITY : this.scores[0];
  }
  push(score: number, row: number): void {
    const { scores, rows } = this;
    if (this.n < this.capacity) {
      let i = this.n++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (scores[p] <= score) break;
        scores[i] = scores[p];
        rows[i] = rows[p];
        i = p;
      }
      scores[i] = score;
      rows[i] = row;
      return;
    }
    if (score <= scores[0]) return;
    let i = 0;
    const n = this.n;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && scores[l + 1] < scores[l] ? l + 1 : l;
      if (scores[c] >= score) break;
      scores[i] = scores[c];
      rows[i] = rows[c];
      i = c;
    }
    scores[i] = score;
    rows[i] = row;
  }
  sorted(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.n; i++) out.push([this.scores[i], this.rows[i]]);
    return out.sort((a, b) => b[0] - a[0]);
  }
}
