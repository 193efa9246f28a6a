import { beforeAll, describe, expect, it } from 'vitest';
import { buildBombs } from '../../packages/archive/src/test-support';
import { createTenant, env, expectOk } from '../helpers/harness';
import { buildDocx, expectError, fileOf, upload } from './fixtures';

const MiB = 1024 * 1024;
const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

let bombs: Awaited<ReturnType<typeof buildBombs>>;
beforeAll(async () => {
  bombs = await buildBombs();
}, 30_000);

const templateRows = async (orgId: string) =>
  (await env.DB.prepare('SELECT count(*) AS n FROM templates WHERE org_id = ?').bind(orgId).first<{ n: number }>())!.n;
const templateObjects = async (orgId: string) =>
  (await env.FILES.list({ prefix: `tenants/${orgId}/templates/` })).objects.length;

describe('POST /api/v1/templates/upload refuses zip bombs and unsafe archives', () => {
  it.each([
    [
      'a 100 KB DOCX whose document.xml inflates to 100 MB',
      'honest',
      413,
      'PAYLOAD_TOO_LARGE',
      {
        reason: 'ARCHIVE_TOO_LARGE',
        cap: 'entry_bytes',
        limit: 50 * MiB,
        actual: 100 * MiB,
        entry: 'word/document.xml',
      },
    ],
    [
      'a DOCX with 3,003 entries',
      'manyEntries',
      413,
      'PAYLOAD_TOO_LARGE',
      { reason: 'ARCHIVE_TOO_LARGE', cap: 'entries', limit: 2000, actual: 3003 },
    ],
    [
      'a document.xml that declares 1 KB and inflates to 100 MB',
      'lying',
      422,
      'ARCHIVE_UNSAFE',
      { problem: 'size_mismatch', entry: 'word/document.xml', declared_bytes: 1024 },
    ],
    [
      'a media entry that declares 1 KB and inflates to 100 MB (never read for placeholders)',
      'lyingMedia',
      422,
      'ARCHIVE_UNSAFE',
      { problem: 'size_mismatch', entry: 'word/media/image1.png', declared_bytes: 1024 },
    ],
    [
      'an entry named ../evil.xml',
      'parentPath',
      422,
      'ARCHIVE_UNSAFE',
      { problem: 'parent_path', entry: '../evil.xml' },
    ],
  ] as const)('%s (%s): %i %s, nothing stored', async (_, which, status, code, details) => {
    const tenant = await createTenant();
    const bytes = bombs[which];
    expect(bytes.byteLength).toBeLessThan(1024 * 1024);
    const res = await upload(tenant.accessToken, { file: fileOf(bytes, 'letter.docx', DOCX_TYPE), name: 'Bomb' });
    expectError(res, status, code);
    // A cap's details are exact; an unsafe archive's also say how far inflation got.
    if (status === 413) expect(res.body.error.details).toEqual(details);
    else expect(res.body.error.details).toMatchObject(details);
    expect(res.body.error.message).toMatch(/entry|entries/);
    expect(await templateRows(tenant.orgId)).toBe(0);
    expect(await templateObjects(tenant.orgId)).toBe(0);
  });

  it('still accepts an ordinary DOCX after refusing a bomb', async () => {
    const tenant = await createTenant();
    expectError(
      await upload(tenant.accessToken, { file: fileOf(bombs.honest, 'a.docx'), name: 'Bomb' }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    const ok = expectOk(
      await upload(tenant.accessToken, { file: fileOf(await buildDocx(), 'letter.docx'), name: 'Letter' }),
      201,
    );
    expect(ok.body.data.variables.map((v: { name: string }) => v.name).sort()).toEqual(['client_name', 'due_date']);
    expect(await templateRows(tenant.orgId)).toBe(1);
  });

  it('a public bomb stored before the checks is not copied into another organization', async () => {
    const a = await createTenant();
    const b = await createTenant();
    const id = `tpl_${crypto.randomUUID().replaceAll('-', '')}`;
    const key = `tenants/${a.orgId}/templates/${id}/bomb.docx`;
    await env.FILES.put(key, bombs.honest);
    const now = new Date().toISOString();
    await env.DB.prepare(
      `INSERT INTO templates (id, org_id, name, description, format, kind, variables, file_key, file_size_bytes,
         is_public, usage_count, created_by, created_at, updated_at)
       VALUES (?, ?, 'Shared bomb', '', 'docx', 'docx_file', '[]', ?, ?, 1, 0, ?, ?, ?)`,
    )
      .bind(id, a.orgId, key, bombs.honest.byteLength, a.userId, now, now)
      .run();
    const res = await b.as('POST', `/api/v1/templates/${id}/copy`);
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(res.body.error.details).toEqual({
      reason: 'ARCHIVE_TOO_LARGE',
      cap: 'entry_bytes',
      limit: 50 * MiB,
      actual: 100 * MiB,
      entry: 'word/document.xml',
    });
    expect(await templateRows(b.orgId)).toBe(0);
    expect(await templateObjects(b.orgId)).toBe(0);
  });
});
