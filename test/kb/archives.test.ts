import { beforeAll, describe, expect, it } from 'vitest';
import { buildBombs } from '../../packages/archive/src/test-support';
import { createTenant, fileOf, ingest, storedChunks, uploadAccepted, vectorStats } from './helpers';

const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

let bombs: Awaited<ReturnType<typeof buildBombs>>;
beforeAll(async () => {
  bombs = await buildBombs();
}, 30_000);

describe('knowledge-base DOCX uploads that are zip bombs', () => {
  it.each([
    [
      'word/styles.xml of 100 MB, declared',
      'stylesBomb',
      'ARCHIVE_TOO_LARGE',
      'The entry word/styles.xml inflates to 100 MB; at most 50 MB per entry are accepted',
    ],
    [
      'document.xml declaring 1 KB, inflating to 100 MB',
      'lying',
      'ARCHIVE_UNSAFE',
      'The entry word/document.xml declares 1,024 bytes but inflates to more; reading stopped',
    ],
    ['3,003 entries', 'manyEntries', 'ARCHIVE_TOO_LARGE', 'The archive has 3,003 entries; at most 2,000 are accepted'],
    [
      'an entry named ../evil.xml',
      'parentPath',
      'ARCHIVE_UNSAFE',
      'The entry ../evil.xml points outside the archive (..)',
    ],
  ] as const)(
    '%s (%s): the document ends failed with %s, the job once, nothing indexed',
    async (_, which, code, message) => {
      const tenant = await createTenant();
      const accepted = await uploadAccepted(tenant, { file: fileOf(bombs[which], 'notes.docx', DOCX_TYPE) });
      expect(accepted.document.detected_type).toBe('docx');
      const { doc, job, delivery } = await ingest(tenant, accepted);
      expect(doc).toMatchObject({ status: 'failed', error_code: code, error_message: message, chunk_count: 0 });
      expect(job).toMatchObject({ status: 'error', error_code: code, error_message: message, attempts: 1 });
      expect(delivery).toMatchObject({ acked: true, retried: false });
      expect(await storedChunks(doc.id)).toEqual([]);
      expect((await vectorStats(tenant.orgId)).count).toBe(0);
    },
  );
});
