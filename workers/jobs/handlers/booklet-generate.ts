import { bytesToHex } from '@flowspark/auth';
import { allPages, getBookForJob, uploadFacts } from '@flowspark/booklet/books';
import { attributesOf, getCustomer } from '@flowspark/booklet/customers';
import {
  BOOKLET_JOB_TYPE,
  type BookletFileRow,
  bookletFileKey,
  findBookletFileOfJob,
  recordBookletFile,
} from '@flowspark/booklet/files';
import { buildBooklet } from '@flowspark/booklet/generate';
import { pageUploadIds } from '@flowspark/booklet/pages';
import { createDb } from '@flowspark/db';
import { JobError } from '@flowspark/jobs';
import { z } from 'zod';
import { r2FontSource } from '../../lib/fonts';
import type { JobHandler } from '../types';

const Input = z.object({
  book_id: z.string().min(1),
  customer_id: z.string().min(1),
  spreadsheet_upload_id: z.string().min(1).nullable(),
  file_id: z.string().min(1),
});
type Input = z.infer<typeof Input>;

const slug = (text: string) =>
  text
    .normalize('NFC')
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'booklet';

const resultOf = (
  file: Pick<BookletFileRow, 'id' | 'pageCount' | 'sizeBytes' | 'filename'>,
  extra: Record<string, unknown> = {},
) => ({
  file_id: file.id,
  filename: file.filename,
  page_count: file.pageCount,
  size_bytes: file.sizeBytes,
  download_path: `/api/v1/downloads/${file.id}`,
  ...extra,
});

/**
 * `booklet.generate`: builds a customer's booklet from the book as it is now (see
 * packages/booklet/src/generate.ts), stores the PDF under the file id chosen when the job was
 * queued, then records it. A page that cannot be built fails the job with a message naming it; a
 * failure after the PDF was stored removes it, so nothing half-written stays. A redelivery after the
 * file was recorded answers the same result.
 */
export const bookletGenerateHandler: JobHandler<Input> = {
  type: BOOKLET_JOB_TYPE,
  input: Input,

  async run(ctx) {
    const db = createDb(ctx.env.DB);
    const { orgId, input } = ctx;
    const done = await findBookletFileOfJob(db, orgId, ctx.job.id);
    if (done) return resultOf(done);

    const [book, customer, pages, attributes] = await Promise.all([
      getBookForJob(db, orgId, input.book_id),
      getCustomer(db, orgId, input.customer_id),
      allPages(db, orgId, input.book_id),
      attributesOf(db, orgId, input.customer_id),
    ]);
    if (!book) throw new JobError('BOOK_UNAVAILABLE', 'The book was deleted');
    if (!customer) throw new JobError('CUSTOMER_UNAVAILABLE', 'The customer was deleted');
    const uploads = await uploadFacts(db, orgId, [
      ...pages.flatMap(pageUploadIds),
      ...(input.spreadsheet_upload_id ? [input.spreadsheet_upload_id] : []),
    ]);
    await ctx.progress(5, `Building ${pages.length} page(s)`);

    const result = await buildBooklet({
      book,
      customer,
      pages,
      attributes,
      uploads,
      spreadsheetUploadId: input.spreadsheet_upload_id,
      fonts: r2FontSource(ctx.env.FILES),
      read: async (uploadId) => {
        const upload = uploads.get(uploadId);
        const object = upload ? await ctx.env.FILES.get(upload.fileKey) : null;
        return object ? new Uint8Array(await object.arrayBuffer()) : null;
      },
      progress: (n, total, title) =>
        ctx.progress(5 + Math.floor((85 * n) / total), `Page ${n} of ${total} done: ${title}`),
    });
    await ctx.progress(92, `Merged ${result.pageCount} PDF page(s)`);
    await ctx.throwIfCancelled();

    const key = bookletFileKey(orgId, input.file_id);
    const row: BookletFileRow = {
      id: input.file_id,
      orgId,
      bookId: input.book_id,
      customerId: input.customer_id,
      jobId: ctx.job.id,
      filename: `${slug(book.name)}-${slug(customer.name)}.pdf`,
      fileKey: key,
      sizeBytes: result.bytes.byteLength,
      sha256: bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', result.bytes))),
      pageCount: result.pageCount,
      createdBy: ctx.job.createdBy,
      createdAt: new Date().toISOString(),
    };
    await ctx.env.FILES.put(key, result.bytes, { httpMetadata: { contentType: 'application/pdf' } });
    try {
      await ctx.throwIfCancelled();
      await recordBookletFile(db, row);
    } catch (err) {
      await ctx.env.FILES.delete(key).catch(() => undefined);
      throw err;
    }
    return resultOf(row, { entries: result.entries, skipped: result.skipped });
  },
};
