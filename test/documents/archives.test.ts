import { beforeAll, describe, expect, it } from 'vitest';
import { buildBombs } from '../../packages/archive/src/test-support';
import { env, type TestTenant } from '../helpers/harness';
import { createTenant, DOCUMENTS, download, generate, r2Keys, runToEnd } from './helpers';

let bombs: Awaited<ReturnType<typeof buildBombs>>;
beforeAll(async () => {
  bombs = await buildBombs();
}, 30_000);

/**
 * A DOCX template stored the way an upload stores one, but written straight to R2 and D1: files
 * stored before uploads were checked (or by any other path) are read at every generation.
 */
const storeTemplate = async (tenant: TestTenant, bytes: Uint8Array) => {
  const id = `tpl_${crypto.randomUUID().replaceAll('-', '')}`;
  const key = `tenants/${tenant.orgId}/templates/${id}/bomb.docx`;
  await env.FILES.put(key, bytes);
  const now = new Date().toISOString();
  await env.DB.prepare(
    `INSERT INTO templates (id, org_id, name, description, format, kind, variables, body, prompt_template,
       file_key, file_size_bytes, is_public, usage_count, created_by, created_at, updated_at)
     VALUES (?, ?, 'Stored bomb', '', 'docx', 'docx_file', '[]', NULL, NULL, ?, ?, 0, 0, ?, ?, ?)`,
  )
    .bind(id, tenant.orgId, key, bytes.byteLength, tenant.userId, now, now)
    .run();
  return id;
};

describe('generating from a stored DOCX template that is a zip bomb', () => {
  it.each([
    [
      'document.xml of 100 MB, declared',
      'honest',
      'ARCHIVE_TOO_LARGE',
      'The entry word/document.xml inflates to 100 MB; at most 50 MB per entry are accepted',
    ],
    [
      'document.xml declaring 1 KB, inflating to 100 MB',
      'lying',
      'ARCHIVE_UNSAFE',
      'The entry word/document.xml declares 1,024 bytes but inflates to more; reading stopped',
    ],
    [
      'a media entry declaring 1 KB, inflating to 100 MB',
      'lyingMedia',
      'ARCHIVE_UNSAFE',
      'The entry word/media/image1.png declares 1,024 bytes but inflates to more; reading stopped',
    ],
  ] as const)('%s (%s): the job ends with %s at once, no file is written', async (_, which, code, message) => {
    const tenant = await createTenant();
    const templateId = await storeTemplate(tenant, bombs[which]);
    const created = await generate(tenant, { title: 'From a bomb', format: 'docx', template_id: templateId });
    const { doc, job } = await runToEnd(tenant, created);
    expect(job).toMatchObject({ status: 'error', attempts: 1, error_code: code, error_message: message });
    expect(doc).toMatchObject({ status: 'failed', error_code: code, error_message: message, download_url: null });
    expect((await download(tenant.accessToken, `${DOCUMENTS}/${doc.id}/download`)).status).toBe(409);
    expect(await r2Keys(tenant.orgId, 'documents', doc.id)).toEqual([]);
  });
});
