import { assembleExtraction, decodeUtf8OrFail } from '../normalize';
import type { ExtractedBlock, Extraction } from '../types';

const CANDIDATES = [',', ';', '\t', '|'] as const;
const SAMPLE_CHARS = 64 * 1024;
const SAMPLE_RECORDS = 20;

/**
 * RFC 4180 records: fields in double quotes may hold the delimiter, line breaks and doubled quotes;
 * a quote elsewhere in a field is kept as a literal (lenient, like spreadsheet apps). Blank lines
 * are skipped. Stops after `maxRecords`.
 */
export const parseCsv = (text: string, delimiter: string, maxRecords = Number.POSITIVE_INFINITY): string[][] => {
  const records: string[][] = [];
  let row: string[] = [];
  let i = 0;
  const n = text.length;
  const endRow = () => {
    if (row.length > 1 || row[0] !== '') records.push(row);
    row = [];
  };
  while (i < n && records.length < maxRecords) {
    let field = '';
    if (text[i] === '"') {
      i++;
      while (i < n) {
        const q = text.indexOf('"', i);
        if (q < 0) {
          field += text.slice(i);
          i = n;
          break;
        }
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    }
    // Unquoted text (or text after a closing quote) up to the delimiter or the end of the line.
    let j = i;
    while (j < n && text[j] !== delimiter && text[j] !== '\n' && text[j] !== '\r') j++;
    field += text.slice(i, j);
    row.push(field);
    if (j >= n) {
      endRow();
      i = n + 1;
      break;
    }
    if (text[j] === delimiter) {
      i = j + 1;
      if (i === n) {
        row.push('');
        endRow();
        i = n + 1;
      }
      continue;
    }
    // A line break: \n, \r\n or a lone \r.
    i = text[j] === '\r' && text[j + 1] === '\n' ? j + 2 : j + 1;
    endRow();
  }
  return records;
};

export interface DelimiterGuess {
  delimiter: string;
  /** Every sampled record has the same number of fields. */
  consistent: boolean;
  fields: number;
  records: number;
}

const guessFor = (text: string, delimiter: string): DelimiterGuess => {
  const truncated = text.length > SAMPLE_CHARS;
  const records = parseCsv(truncated ? text.slice(0, SAMPLE_CHARS) : text, delimiter, SAMPLE_RECORDS);
  // The sample may end in the middle of a record.
  if (truncated && records.length < SAMPLE_RECORDS) records.pop();
  const counts = records.map((r) => r.length);
  const fields = counts[0] ?? 0;
  return {
    delimiter,
    consistent: counts.length > 0 && counts.every((c) => c === fields),
    fields,
    records: counts.length,
  };
};

/**
 * The delimiter whose sampled records have a consistent field count (≥ 2), the most fields winning;
 * when none is consistent, the one with the most fields in the first record.
 */
export const guessDelimiter = (text: string, candidates: readonly string[] = CANDIDATES): DelimiterGuess => {
  const guesses = candidates.map((d) => guessFor(text, d));
  // A delimiter that never occurs is "consistent" with one field: that does not count.
  const rank = (g: DelimiterGuess) => (g.consistent && g.fields >= 2 ? 1_000_000 : 0) + g.fields;
  return guesses.reduce((best, g) => (rank(g) > rank(best) ? g : best));
};

const clean = (value: string) => value.replace(/\s+/g, ' ').trim();

/** Header row + one `row` block per record: "column: value; column: value" (empty values left out). */
export const extractCsv = (bytes: Uint8Array): Extraction => {
  const text = decodeUtf8OrFail(bytes, 'CSV file');
  const { delimiter } = guessDelimiter(text);
  const [header = [], ...rows] = parseCsv(text, delimiter);
  const names = header.map((h, i) => clean(h) || `column ${i + 1}`);
  const blocks: ExtractedBlock[] = [];
  for (const row of rows) {
    const pairs: string[] = [];
    row.forEach((value, i) => {
      const v = clean(value);
      if (v) pairs.push(`${names[i] ?? `column ${i + 1}`}: ${v}`);
    });
    if (pairs.length) blocks.push({ kind: 'row', text: pairs.join('; '), page_number: null });
  }
  return assembleExtraction({ type: 'csv', title: null, blocks });
};
