// One render measured in its own process (`node --import tsx bench/render-case.ts <case>`), so the
// peak memory figure belongs to that render alone. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FONT_NAMES, type FontName, memoryFontSource, render } from '@flowspark/docgen';
// @ts-expect-error: plain ES module without types
import { FONT_FILES } from '../scripts/fonts.mjs';
import { renderCaseModel } from './render-models';

const kind = process.argv[2] ?? 'pdf-100';
const root = join(import.meta.dirname, '..');

const fonts = memoryFontSource(
  Object.fromEntries(
    FONT_NAMES.map((name: FontName) => [name, new Uint8Array(readFileSync(join(root, FONT_FILES[name])))]),
  ),
);

const format = kind.split('-')[0] as 'pdf' | 'docx' | 'pptx' | 'xlsx';
const doc = renderCaseModel(kind);
globalThis.gc?.();
const before = process.memoryUsage();
let peakHeap = before.heapUsed + before.arrayBuffers;
const sampler = setInterval(() => {
  const now = process.memoryUsage();
  peakHeap = Math.max(peakHeap, now.heapUsed + now.arrayBuffers);
}, 5);
const started = performance.now();
const file = await render(doc, format, { fonts });
const ms = performance.now() - started;
clearInterval(sampler);
const after = process.memoryUsage();
peakHeap = Math.max(peakHeap, after.heapUsed + after.arrayBuffers);
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
console.log(
  JSON.stringify({
    case: kind,
    ms: Math.round(ms),
    bytes: file.bytes.byteLength,
    model_mb: mb(before.heapUsed + before.arrayBuffers),
    peak_added_mb: mb(peakHeap - before.heapUsed - before.arrayBuffers),
    peak_rss_mb: mb(process.resourceUsage().maxRSS * 1024),
  }),
);
