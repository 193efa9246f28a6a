/**
 * XML written as UTF-8 straight into byte chunks, for the XLSX sheets (a table of 100,000 rows is
 * about 34 MB of XML).
 *
 * Why by hand rather than strings for TextEncoder: a string per row, gathered into 64 K-character
 * strings that were then encoded, made garbage of every cell several times over. Here each cell is
 * escaped and encoded in one pass into the current chunk, so the render allocates little besides the
 * text of non-integer numbers, and the chunks can be reused (see XmlChunks). Inside workerd the
 * render of 100,000 × 8 cells grew the process by ~46 MB over its model with strings, ~33 MB this
 * way.
 */

const CHUNK_BYTES = 64 * 1024;
const EMPTY = new Uint8Array(0);
/** The longest UTF-8 one UTF-16 unit can become once escaped (`"` is `&quot;`). */
const MAX_BYTES_PER_UNIT = 6;

const AMP = [0x26, 0x61, 0x6d, 0x70, 0x3b]; // &amp;
const LT = [0x26, 0x6c, 0x74, 0x3b]; // &lt;
const GT = [0x26, 0x67, 0x74, 0x3b]; // &gt;
const QUOT = [0x26, 0x71, 0x75, 0x6f, 0x74, 0x3b]; // &quot;
const ENTITIES: (number[] | undefined)[] = [];
ENTITIES[0x26] = AMP;
ENTITIES[0x3c] = LT;
ENTITIES[0x3e] = GT;
ENTITIES[0x22] = QUOT;

/**
 * The writer hands each filled chunk on once and takes its buffer back when the consumer asks for
 * the next one (the ZIP writer has deflated it by then), so a sheet of any size is written through
 * two or three buffers. A fresh buffer for each chunk cost ~28 MB more inside workerd for 100,000
 * rows: the dead ones are freed only by a garbage collection, which a render allocating this little
 * on the JavaScript heap rarely triggers.
 */
export class XmlChunks {
  private chunk: Uint8Array;
  private at = 0;
  private readonly ready: Uint8Array[] = [];
  private readonly spare: Uint8Array[] = [];

  constructor(private readonly chunkBytes = CHUNK_BYTES) {
    this.chunk = new Uint8Array(chunkBytes);
  }

  /** Makes room for `bytes` more bytes: a filled chunk is set aside and another one started. */
  private room(bytes: number): void {
    if (this.at + bytes <= this.chunk.length) return;
    if (this.at > 0) this.ready.push(this.chunk.subarray(0, this.at));
    const spare = this.spare.pop();
    this.chunk = spare && spare.length >= bytes ? spare : new Uint8Array(Math.max(this.chunkBytes, bytes));
    this.at = 0;
  }

  /** Markup, or text known to be ASCII with nothing to escape (numbers, cell references). */
  ascii(text: string): void {
    this.room(text.length);
    const chunk = this.chunk;
    let at = this.at;
    for (let i = 0; i < text.length; i++) chunk[at++] = text.charCodeAt(i);
    this.at = at;
  }

  /** A non-negative integer up to 2^31 − 1 in decimal, as `String(n)` writes it. */
  uint(n: number): void {
    this.room(10);
    const chunk = this.chunk;
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    let at = this.at + digits;
    this.at = at;
    let rest = n;
    do {
      chunk[--at] = 0x30 + (rest % 10);
      rest = Math.floor(rest / 10);
    } while (rest > 0);
  }

  /**
   * Text for an element or a double-quoted attribute: `& < > "` escaped, UTF-8 encoded. The text
   * must have been through `xmlSafe` (an unpaired surrogate left over is dropped).
   */
  text(text: string): void {
    this.room(text.length * MAX_BYTES_PER_UNIT);
    const chunk = this.chunk;
    let at = this.at;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) {
        const entity = ENTITIES[c];
        if (entity === undefined) chunk[at++] = c;
        else for (let k = 0; k < entity.length; k++) chunk[at++] = entity[k]!;
      } else if (c < 0x800) {
        chunk[at++] = 0xc0 | (c >> 6);
        chunk[at++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const low = text.charCodeAt(i + 1);
        if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) continue;
        const point = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        chunk[at++] = 0xf0 | (point >> 18);
        chunk[at++] = 0x80 | ((point >> 12) & 0x3f);
        chunk[at++] = 0x80 | ((point >> 6) & 0x3f);
        chunk[at++] = 0x80 | (point & 0x3f);
        i++;
      } else {
        chunk[at++] = 0xe0 | (c >> 12);
        chunk[at++] = 0x80 | ((c >> 6) & 0x3f);
        chunk[at++] = 0x80 | (c & 0x3f);
      }
    }
    this.at = at;
  }

  /** Whether a chunk is filled (cheaper to ask after each row than to start `full()`). */
  get hasFull(): boolean {
    return this.ready.length > 0;
  }

  /**
   * The filled chunks, each handed on once: its buffer is written again once the consumer asks for
   * what follows, so the consumer must be done with a chunk by then.
   */
  *full(): Generator<Uint8Array> {
    while (this.ready.length > 0) {
      const chunk = this.ready.shift()!;
      yield chunk;
      this.spare.push(new Uint8Array(chunk.buffer));
    }
  }

  /** The filled chunks and the one being written: the end of the part. */
  *end(): Generator<Uint8Array> {
    yield* this.full();
    if (this.at > 0) yield this.chunk.subarray(0, this.at);
    this.chunk = EMPTY;
    this.at = 0;
  }
}
