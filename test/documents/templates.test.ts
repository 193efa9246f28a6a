import { describe, expect, it } from 'vitest';
import { expectOk, type TestTenant } from '../helpers/harness';
import {
  buildDocx,
  buildPdfForm,
  createModelTemplate,
  fileOf,
  TEMPLATES,
  uniqueName,
  upload,
} from '../templates/fixtures';
import {
  countRows,
  createTenant,
  DOCUMENTS,
  DOCX_TYPE,
  docxParagraphs,
  downloadOk,
  expectError,
  generateDone,
  pdfText,
} from './helpers';

const usageOf = async (tenant: TestTenant, id: string): Promise<number> =>
  expectOk(await tenant.as('GET', `${TEMPLATES}/${id}`)).body.data.usage_count;

describe('generating from templates', () => {
  it('fills a model template: the values appear in the file, and the template counts the use', async () => {
    const tenant = await createTenant();
    // Body: "Invoice for {{client}}", "Dear {{ client }}, please pay by {{due_date}}.", a table with {{item}}.
    const template = await createModelTemplate(tenant.accessToken, { format: 'pdf' });
    const doc = await generateDone(tenant, {
      title: 'Invoice 42',
      format: 'docx',
      template_id: template.id,
      input_data: { client: 'Société Générale 東京', due_date: '2026-03-01' },
    });
    expect(doc).toMatchObject({
      template_id: template.id,
      input_data: { client: 'Société Générale 東京', due_date: '2026-03-01' },
      tokens_used: 0,
      model_used: null,
    });
    const paragraphs = await docxParagraphs((await downloadOk(tenant.accessToken, doc.download_url)).bytes);
    expect(paragraphs).toEqual(
      expect.arrayContaining([
        'Invoice for Société Générale 東京',
        'Dear Société Générale 東京, please pay by 2026-03-01.',
        // {{item}} took its declared default.
        'Consulting',
      ]),
    );
    expect(paragraphs.join('\n')).not.toContain('{{');
    expect(await usageOf(tenant, template.id)).toBe(1);
  });

  it('asks the AI when the template has a prompt_template, with its variables filled', async () => {
    const tenant = await createTenant();
    const template = await createModelTemplate(tenant.accessToken, {
      format: 'pdf',
      body: undefined,
      variables: [{ name: 'product', type: 'string' }],
      prompt_template: 'Write a launch note for {{product}}. Mention the price.',
    });
    const doc = await generateDone(tenant, {
      title: 'Launch note',
      format: 'pdf',
      template_id: template.id,
      prompt: 'Keep it short.',
      input_data: { product: 'FlowSpark Édition 東京' },
    });
    expect(doc.tokens_used).toBe(1050);
    expect(doc.model_used).toBe('local-extractive-v1');
    const { text } = await pdfText((await downloadOk(tenant.accessToken, doc.download_url)).bytes);
    expect(text).toContain('Launch note');
    expect(text).toContain('Write a launch note for FlowSpark Édition 東京.');
    expect(text).toContain('Keep it short.');
  });

  it('refuses missing or wrong-typed variables with 400 naming them, and writes nothing', async () => {
    const tenant = await createTenant();
    const template = await createModelTemplate(tenant.accessToken);
    const missing = expectError(
      await tenant.as('POST', `${DOCUMENTS}/generate`, {
        body: { title: 'x', format: 'pdf', template_id: template.id, input_data: { due_date: '2026-01-01' } },
      }),
      400,
      'VALIDATION_ERROR',
    );
    expect(missing.body.error.details.fields).toEqual({ 'input_data.client': ['Required variable is missing'] });
    const wrong = expectError(
      await tenant.as('POST', `${DOCUMENTS}/generate`, {
        body: { title: 'x', format: 'pdf', template_id: template.id, input_data: { client: 7, due_date: 'soon' } },
      }),
      400,
      'VALIDATION_ERROR',
    );
    expect(Object.keys(wrong.body.error.details.fields).sort()).toEqual(['input_data.client', 'input_data.due_date']);
    expect(wrong.body.error.details.fields['input_data.client']).toEqual(['Expected a string']);
    expect(await countRows('documents', 'org_id', tenant.orgId)).toBe(0);
    expect(await countRows('jobs', 'org_id', tenant.orgId)).toBe(0);
    expect(await usageOf(tenant, template.id)).toBe(0);
  });

  it("refuses another tenant's private template with 404, and uses its public one", async () => {
    const owner = await createTenant();
    const other = await createTenant();
    const secret = await createModelTemplate(owner.accessToken, { name: uniqueName('Secret') });
    const res = expectError(
      await other.as('POST', `${DOCUMENTS}/generate`, {
        body: { title: 'x', format: 'pdf', template_id: secret.id, input_data: { client: 'B' } },
      }),
      404,
      'NOT_FOUND',
    );
    expect(res.body.error.message).toBe('Template not found');
    expect(await countRows('documents', 'org_id', other.orgId)).toBe(0);
    expectError(
      await other.as('POST', `${DOCUMENTS}/generate`, {
        body: { title: 'x', format: 'pdf', template_id: `tpl_${'0'.repeat(32)}` },
      }),
      404,
      'NOT_FOUND',
    );

    const shared = await createModelTemplate(owner.accessToken, { is_public: true });
    const doc = await generateDone(other, {
      title: 'Borrowed',
      format: 'pdf',
      template_id: shared.id,
      input_data: { client: 'Crème brûlée Ltd' },
    });
    const { text } = await pdfText((await downloadOk(other.accessToken, doc.download_url)).bytes);
    expect(text).toContain('Invoice for Crème brûlée Ltd');
    expect(text).toContain('Consulting');
    expect(await usageOf(owner, shared.id)).toBe(1);
    // The owner does not see the other tenant's document.
    expectError(await owner.as('GET', `${DOCUMENTS}/${doc.id}`), 404, 'NOT_FOUND');
  });

  it('fills the placeholders of an uploaded DOCX template, split runs included', async () => {
    const tenant = await createTenant();
    const template = expectOk(
      await upload(tenant.accessToken, { file: fileOf(await buildDocx(), 'letter.docx', DOCX_TYPE), name: 'Letter' }),
      201,
    ).body.data;
    const doc = await generateDone(tenant, {
      title: 'Letter to ACME',
      format: 'docx',
      template_id: template.id,
      input_data: { client_name: 'ACME 東京', due_date: '1 March' },
    });
    expect(doc.content_type).toBe(DOCX_TYPE);
    const paragraphs = await docxParagraphs((await downloadOk(tenant.accessToken, doc.download_url)).bytes);
    expect(paragraphs).toEqual(['Dear ACME 東京,', 'Payment is due on 1 March', 'Again: ACME 東京 — café 東京']);
  });

  it('fills the fields of an uploaded PDF form', async () => {
    const tenant = await createTenant();
    const template = expectOk(
      await upload(tenant.accessToken, { file: fileOf(await buildPdfForm(), 'form.pdf'), name: 'Form' }),
      201,
    ).body.data;
    const doc = await generateDone(tenant, {
      title: 'Filled form',
      format: 'pdf',
      template_id: template.id,
      input_data: { First_name: 'Zoë 東京', agree: true, country: 'JP' },
    });
    const file = await downloadOk(tenant.accessToken, doc.download_url);
    expect(file.headers.get('content-type')).toBe('application/pdf');
    const { text } = await pdfText(file.bytes);
    expect(text).toContain('Zoë 東京');
    expect(text).toContain('JP');
  });

  it('refuses a format the template cannot make, and a prompt for a file template', async () => {
    const tenant = await createTenant();
    const docx = expectOk(
      await upload(tenant.accessToken, { file: fileOf(await buildDocx(), 'letter.docx'), name: 'Letter' }),
      201,
    ).body.data;
    const input_data = { client_name: 'A', due_date: 'B' };
    const format = expectError(
      await tenant.as('POST', `${DOCUMENTS}/generate`, {
        body: { title: 'x', format: 'pdf', template_id: docx.id, input_data },
      }),
      400,
      'VALIDATION_ERROR',
    );
    expect(format.body.error.details.fields.format[0]).toBe('A DOCX file template makes docx files; pdf was asked for');
    const prompt = expectError(
      await tenant.as('POST', `${DOCUMENTS}/generate`, {
        body: { title: 'x', format: 'docx', template_id: docx.id, input_data, prompt: 'Make it nice' },
      }),
      400,
      'VALIDATION_ERROR',
    );
    expect(prompt.body.error.details.fields.prompt).toEqual([
      'A DOCX file template is filled from input_data only; leave out the prompt',
    ]);
    const both = expectError(
      await tenant.as('POST', `${DOCUMENTS}/generate`, {
        body: { title: 'x', format: 'docx', template_id: docx.id, content: { title: 't', sections: [] } },
      }),
      400,
      'VALIDATION_ERROR',
    );
    expect(both.body.error.details.fields.content).toEqual(['content cannot be combined with prompt or template_id']);
    expect(await countRows('documents', 'org_id', tenant.orgId)).toBe(0);
  });
});
