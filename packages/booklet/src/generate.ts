/**
 * Builds a customer's booklet: each page of the book resolved in order (static pages or a range,
 * forms filled from the customer's attributes and flattened, choosable pages picked by their
 * conditions, worksheets rendered as table pages), merged into one PDF with one bookmark per page,
 * an optional table of contents, "n / N" page numbers stamped after the merge, and metadata.
 *
 * Memory: each source PDF is parsed once and all the pages taken from it are copied in one
 * `copyPages` call; the source is dropped before the next one is read. Filled forms and rendered
 * sheets are copied as soon as they are made. What stays is the booklet itself.
 *
 * Runs in the jobs Worker (pdf-lib, exceljs and the renderers are loaded here, never in the API).
 */
import { AppError } from '@flowspark/core';
import { type DocumentModel, type FontSource, fillPdfForm, renderPdf } from '@flowspark/docgen';
import { JobError } from '@flowspark/jobs';
import type { PDFDocument, PDFPage } from 'pdf-lib';
import type { BookRow, PageWithConditions } from './books';
import { type AttributeRow, resolveAttributes } from './customers';
import { describePage } from './files';
import {
  type ChoosableConfig,
  chooseUpload,
  type ExcelConfig,
  type PdfFormConfig,
  type Period,
  parsePageRange,
  type StaticConfig,
  type UploadFacts,
} from './pages';
import { readSheet, SheetError } from './sheet';

export interface BookletInput {
  book: Pick<BookRow, 'name' | 'tableOfContents'>;
  customer: { name: string; externalId: string | null };
  pages: PageWithConditions[];
  attributes: Pick<AttributeRow, 'key' | 'value' | 'year' | 'quarter'>[];
  /** The tenant's uploads the pages name, by id. */
  uploads: ReadonlyMap<string, UploadFacts>;
  /** The workbook for excel pages without their own. */
  spreadsheetUploadId: string | null;
  /** An upload's bytes (null when its file is gone). */
  read(uploadId: string): Promise<Uint8Array | null>;
  fonts: FontSource;
  /** Called as each page of the book is done. */
  progress?(done: number, total: number, page: string): Promise<void>;
}

export interface BookletEntry {
  page_id: string;
  title: string;
  type: PageWithConditions['type'];
  /** First PDF page of the entry in the booklet, from 1; its PDF pages. */
  start_page: number;
  page_count: number;
  /** The upload a choosable page took. */
  chosen_upload_id?: string;
}

export interface BookletResult {
  bytes: Uint8Array;
  pageCount: number;
  entries: BookletEntry[];
  /** Book pages left out (a choosable page with no match and fallback skip). */
  skipped: { page_id: string; title: string }[];
}

type PdfLib = typeof import('pdf-lib');

/** One book page, resolved: where its PDF pages come from. */
interface Part {
  page: PageWithConditions;
  position: number;
  title: string;
  /** An upload copied as it is (static, choosable), or bytes made for the page (forms, sheets). */
  source: { upload: string; indices: number[] | null } | { make: () => Promise<Uint8Array> };
  chosen?: string;
  copied: PDFPage[];
}

const stripExtension = (name: string) => name.replace(/\.(pdf|xlsx)$/i, '');

const pageFailure = (part: Pick<Part, 'page' | 'position'>, code: string, cause: string, err?: unknown) =>
  new JobError(code, `${describePage(part.page, part.position)}: ${cause}`, {
    details: { page_id: part.page.id, position: part.position },
    cause: err,
  });

/** A source PDF opened, or the page's error: broken and encrypted files are named, not crashed on. */
const openSource = async (pdf: PdfLib, bytes: Uint8Array, part: Part): Promise<PDFDocument> => {
  const damaged = (err?: unknown) =>
    pageFailure(part, 'SOURCE_PDF_INVALID', 'the PDF is damaged and cannot be read', err);
  let doc: PDFDocument;
  let pages: number;
  try {
    doc = await pdf.PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false });
    // pdf-lib parses leniently: a file without a usable page tree only fails here.
    pages = doc.isEncrypted ? 1 : doc.getPageCount();
  } catch (err) {
    throw damaged(err);
  }
  if (doc.isEncrypted)
    throw pageFailure(part, 'SOURCE_PDF_ENCRYPTED', 'the PDF is encrypted (upload a copy without a password)');
  if (pages === 0) throw damaged();
  return doc;
};

const attributesFor = (input: BookletInput, period: Period | undefined) =>
  resolveAttributes(input.attributes, period ? { year: period.year, quarter: period.quarter ?? null } : undefined);

/** A filled form's values: attribute values by PDF field; a missing one blank or the page's error. */
const formValues = (
  part: Pick<Part, 'page' | 'position'>,
  config: PdfFormConfig,
  attributes: Record<string, string>,
) => {
  const data: Record<string, unknown> = {};
  for (const [field, key] of Object.entries(config.field_map)) {
    const value = attributes[key];
    if (value === undefined) {
      if (config.on_missing === 'error') {
        const period = config.period
          ? ` for ${config.period.year}${config.period.quarter ? ` Q${config.period.quarter}` : ''}`
          : '';
        throw pageFailure(
          part,
          'ATTRIBUTE_MISSING',
          `the customer has no attribute "${key}"${period} (form field "${field}")`,
        );
      }
      continue;
    }
    data[field] = value;
  }
  return data;
};

const tableModel = (title: string, sheet: Awaited<ReturnType<typeof readSheet>>): DocumentModel => ({
  title,
  metadata: {},
  sections: [
    {
      level: 1,
      blocks: [{ type: 'table', columns: sheet.columns, column_widths: sheet.widths, rows: sheet.rows }],
    },
  ],
});

/** What each page of the book becomes, in order; choosable pages are decided here. */
const resolveParts = (input: BookletInput): { parts: Part[]; skipped: BookletResult['skipped'] } => {
  const parts: Part[] = [];
  const skipped: BookletResult['skipped'] = [];
  input.pages.forEach((page, i) => {
    const position = i + 1;
    const upload = page.uploadId ? input.uploads.get(page.uploadId) : undefined;
    const named = (fallback: string) => page.title ?? (upload?.filename ? stripExtension(upload.filename) : fallback);
    const base = { page, position, copied: [] as PDFPage[] };
    const missing = (id: string | null | undefined, what = 'upload') =>
      pageFailure(base, 'UPLOAD_MISSING', `the ${what} ${id ?? ''} no longer exists`.replace(/ {2}/g, ' '));
    switch (page.type) {
      case 'static': {
        if (upload?.info.kind !== 'pdf') throw missing(page.uploadId);
        const { pages } = page.config as StaticConfig;
        const indices = pages ? parsePageRange(pages, upload.info.page_count) : null;
        if (pages && !indices) {
          throw pageFailure(
            base,
            'PAGE_RANGE_INVALID',
            `"${pages}" is not within the PDF's ${upload.info.page_count} page(s)`,
          );
        }
        parts.push({ ...base, title: named(`Page ${position}`), source: { upload: upload.id, indices } });
        break;
      }
      case 'choosable': {
        const config = page.config as ChoosableConfig;
        const chosen = chooseUpload(page.conditions, attributesFor(input, config.period));
        if (!chosen) {
          const title = page.title ?? `Page ${position}`;
          if (config.fallback === 'skip') {
            skipped.push({ page_id: page.id, title });
            break;
          }
          const keys = [...new Set(page.conditions.map((c) => `"${c.attributeKey}"`))].join(', ') || 'none';
          throw pageFailure(
            base,
            'NO_MATCHING_CONDITION',
            `no condition matches the customer's attributes (${keys}) and the fallback is "error"`,
          );
        }
        const target = input.uploads.get(chosen);
        if (target?.info.kind !== 'pdf') throw missing(chosen, 'chosen upload');
        const title = page.title ?? (target.filename ? stripExtension(target.filename) : `Page ${position}`);
        parts.push({ ...base, title, chosen, source: { upload: chosen, indices: null } });
        break;
      }
      case 'pdf_form': {
        if (upload?.info.kind !== 'pdf') throw missing(page.uploadId);
        const config = page.config as PdfFormConfig;
        const data = formValues(base, config, attributesFor(input, config.period));
        const part: Part = {
          ...base,
          title: named(`Page ${position}`),
          source: {
            make: async () => {
              const bytes = await input.read(upload.id);
              if (!bytes) throw missing(upload.id, "upload's file");
              try {
                return await fillPdfForm(bytes, data, { fonts: input.fonts });
              } catch (err) {
                if (err instanceof AppError)
                  throw pageFailure(part, 'FORM_FILL_FAILED', err.message.replace(/^The /, 'the '), err);
                throw err;
              }
            },
          },
        };
        parts.push(part);
        break;
      }
      case 'excel': {
        const config = page.config as ExcelConfig;
        const bookId = page.uploadId ?? input.spreadsheetUploadId;
        const workbook = bookId ? input.uploads.get(bookId) : undefined;
        if (workbook?.info.kind !== 'xlsx') throw missing(bookId, 'workbook');
        const title = page.title ?? config.sheet;
        const part: Part = {
          ...base,
          title,
          source: {
            make: async () => {
              const bytes = await input.read(workbook.id);
              if (!bytes) throw missing(workbook.id, "workbook's file");
              let sheet: Awaited<ReturnType<typeof readSheet>>;
              try {
                sheet = await readSheet(bytes, config.sheet, { range: config.range, header: config.header });
              } catch (err) {
                if (err instanceof SheetError) throw pageFailure(part, err.code, err.message, err);
                throw err;
              }
              const file = await renderPdf(tableModel(title, sheet), { fonts: input.fonts }, { pageNumbers: false });
              return file.bytes;
            },
          },
        };
        parts.push(part);
        break;
      }
    }
  });
  return { parts, skipped };
};

/**
 * Copies every part's pages into `doc`: an upload used by several pages is parsed once and copied
 * in one call per round of distinct indices (a page object can be placed once only).
 */
const copyParts = async (pdf: PdfLib, doc: PDFDocument, parts: Part[], input: BookletInput) => {
  const total = parts.length;
  let done = 0;
  const tick = async (part: Part) => {
    done += 1;
    await input.progress?.(done, total, part.title);
  };
  const byUpload = new Map<string, Part[]>();
  for (const part of parts) {
    if ('upload' in part.source) {
      const list = byUpload.get(part.source.upload) ?? [];
      list.push(part);
      byUpload.set(part.source.upload, list);
    }
  }
  const copiedUploads = new Set<string>();
  for (const part of parts) {
    if ('make' in part.source) {
      const src = await openSource(pdf, await part.source.make(), part);
      part.copied = await doc.copyPages(src, src.getPageIndices());
      await tick(part);
      continue;
    }
    const uploadId = part.source.upload;
    if (!copiedUploads.has(uploadId)) {
      copiedUploads.add(uploadId);
      const users = byUpload.get(uploadId)!;
      const bytes = await input.read(uploadId);
      if (!bytes) throw pageFailure(part, 'UPLOAD_MISSING', `the file of upload ${uploadId} no longer exists`);
      let src = await openSource(pdf, bytes, part);
      const upload = input.uploads.get(uploadId);
      // Form fields in a page copied as it is would be widgets without a form: draw them into the page.
      if (upload?.info.kind === 'pdf' && upload.info.form_fields.length > 0) {
        try {
          src = await openSource(pdf, await fillPdfForm(bytes, {}, { fonts: input.fonts }), part);
        } catch (err) {
          if (err instanceof JobError) throw err;
          throw pageFailure(part, 'SOURCE_PDF_INVALID', 'the PDF form in it cannot be flattened', err);
        }
      }
      const all = src.getPageIndices();
      const wanted = users.map((user) => {
        const indices = user.source as { indices: number[] | null };
        return indices.indices ?? all;
      });
      // Rounds: each index at most once per copyPages call.
      const queues = wanted.map((indices) => [...indices]);
      const results = wanted.map(() => [] as PDFPage[]);
      while (queues.some((q) => q.length)) {
        const round: { user: number; index: number }[] = [];
        const seen = new Set<number>();
        queues.forEach((queue, user) => {
          while (queue.length && !seen.has(queue[0])) {
            seen.add(queue[0]);
            round.push({ user, index: queue.shift()! });
          }
        });
        const pages = await doc.copyPages(
          src,
          round.map((r) => r.index),
        );
        round.forEach((r, i) => {
          results[r.user].push(pages[i]);
        });
      }
      users.forEach((user, i) => {
        user.copied = results[i];
      });
    }
    await tick(part);
  }
};

/** Pages of the table of contents: title rows and their first page. */
const renderContents = async (entries: { title: string; page: number }[], fonts: FontSource) => {
  const model: DocumentModel = {
    title: 'Contents',
    metadata: {},
    sections: [
      {
        level: 1,
        blocks: [
          {
            type: 'table',
            columns: ['Section', 'Page'],
            column_widths: [6, 1],
            rows: entries.map((e) => [e.title, String(e.page)]),
          },
        ],
      },
    ],
  };
  return (await renderPdf(model, { fonts }, { pageNumbers: false })).bytes;
};

/** One bookmark per entry, pointing at its first page. */
const addOutline = (pdf: PdfLib, doc: PDFDocument, items: { title: string; page: PDFPage }[]) => {
  if (items.length === 0) return;
  const { context } = doc;
  const root = context.nextRef();
  const refs = items.map(() => context.nextRef());
  items.forEach((item, i) => {
    const entry = context.obj({
      Title: pdf.PDFHexString.fromText(item.title),
      Parent: root,
      Dest: [item.page.ref, 'Fit'],
    });
    if (i > 0) entry.set(pdf.PDFName.of('Prev'), refs[i - 1]);
    if (i < items.length - 1) entry.set(pdf.PDFName.of('Next'), refs[i + 1]);
    context.assign(refs[i], entry);
  });
  context.assign(root, context.obj({ Type: 'Outlines', First: refs[0], Last: refs.at(-1)!, Count: items.length }));
  doc.catalog.set(pdf.PDFName.of('Outlines'), root);
  doc.catalog.set(pdf.PDFName.of('PageMode'), pdf.PDFName.of('UseOutlines'));
};

/** "n / N" centred at the foot of every page, after the merge (sources keep their own layout). */
const stampPageNumbers = async (pdf: PdfLib, doc: PDFDocument) => {
  const font = await doc.embedFont(pdf.StandardFonts.Helvetica);
  const pages = doc.getPages();
  const size = 9;
  const grey = pdf.rgb(0.4, 0.4, 0.45);
  pages.forEach((page, i) => {
    const text = `${i + 1} / ${pages.length}`;
    const box = page.getCropBox();
    const width = font.widthOfTextAtSize(text, size);
    page.drawText(text, { x: box.x + (box.width - width) / 2, y: box.y + 18, size, font, color: grey });
  });
};

export async function buildBooklet(input: BookletInput): Promise<BookletResult> {
  const pdf = await import('pdf-lib');
  const { parts, skipped } = resolveParts(input);
  if (parts.length === 0) {
    throw new JobError('BOOKLET_EMPTY', 'No page of the book applies to this customer: every page was skipped');
  }
  const doc = await pdf.PDFDocument.create({ updateMetadata: false });
  await copyParts(pdf, doc, parts, input);

  let contents: PDFPage[] = [];
  if (input.book.tableOfContents) {
    // The contents come first, so the numbers it lists depend on its own length: render until stable.
    let guess = 1;
    for (let attempt = 0; attempt < 4; attempt += 1) {
      let next = guess + 1;
      const rows = parts.map((part) => {
        const page = next;
        next += part.copied.length;
        return { title: part.title, page };
      });
      const src = await pdf.PDFDocument.load(await renderContents(rows, input.fonts));
      if (src.getPageCount() === guess || attempt === 3) {
        contents = await doc.copyPages(src, src.getPageIndices());
        break;
      }
      guess = src.getPageCount();
    }
    contents.forEach((page) => {
      doc.addPage(page);
    });
  }
  const entries: BookletEntry[] = [];
  let start = contents.length + 1;
  for (const part of parts) {
    for (const page of part.copied) doc.addPage(page);
    entries.push({
      page_id: part.page.id,
      title: part.title,
      type: part.page.type,
      start_page: start,
      page_count: part.copied.length,
      ...(part.chosen ? { chosen_upload_id: part.chosen } : {}),
    });
    start += part.copied.length;
  }
  addOutline(pdf, doc, [
    ...(contents.length ? [{ title: 'Contents', page: contents[0] }] : []),
    ...parts.filter((p) => p.copied.length).map((part) => ({ title: part.title, page: part.copied[0] })),
  ]);
  await stampPageNumbers(pdf, doc);

  const title = `${input.book.name} — ${input.customer.name}`;
  doc.setTitle(title, { showInWindowTitleBar: true });
  doc.setSubject(`Booklet "${input.book.name}" for ${input.customer.name}`);
  doc.setAuthor(input.customer.name);
  doc.setKeywords([
    'booklet',
    input.book.name,
    input.customer.name,
    ...(input.customer.externalId ? [input.customer.externalId] : []),
  ]);
  doc.setCreator('FlowSpark');
  doc.setProducer('FlowSpark booklets (pdf-lib)');
  const now = new Date();
  doc.setCreationDate(now);
  doc.setModificationDate(now);
  const bytes = await doc.save({ useObjectStreams: true });
  return { bytes, pageCount: doc.getPageCount(), entries, skipped };
}
