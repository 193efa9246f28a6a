import { call, env, expectOk, type TestTenant } from '../helpers/harness';

export { fileOf } from '../helpers/files';
export { expectError } from '../helpers/harness';

export const TEMPLATES = '/api/v1/templates';

/** A name no other test uses, so list filters (`q=`) see only this test's templates. */
export const uniqueName = (label = 'Template') => `${label} ${crypto.randomUUID().slice(0, 12)}`;

export const invoiceBody = () => ({
  title: 'Invoice for {{client}}',
  sections: [
    {
      heading: 'Summary',
      blocks: [
        { type: 'paragraph', text: 'Dear {{ client }}, please pay by {{due_date}}.' },
        { type: 'table', columns: ['Item', 'Amount'], rows: [['{{item}}', 10]] },
      ],
    },
  ],
});

export const invoiceVariables = () => [
  { name: 'client', type: 'string', description: 'Who pays' },
  { name: 'due_date', type: 'date', required: false },
  { name: 'item', type: 'string', default: 'Consulting' },
];

export const createModelTemplate = async (
  token: string,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; name: string; [key: string]: any }> => {
  const res = expectOk(
    await call('POST', TEMPLATES, {
      token,
      body: { name: uniqueName(), format: 'pdf', variables: invoiceVariables(), body: invoiceBody(), ...overrides },
    }),
    201,
  );
  return res.body.data;
};

/** multipart/form-data: the Request sets the boundary itself. */
export const upload = (token: string | undefined, fields: Record<string, string | Blob | File>, headers = {}) => {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  return call('POST', `${TEMPLATES}/upload`, { token, rawBody: form, headers });
};

/** A DOCX whose placeholders are split across runs, as Word does when formatting changes mid-word. */
export const buildDocx = async (): Promise<Uint8Array> => {
  const { Document, Packer, Paragraph, TextRun } = await import('docx');
  const doc = new Document({
    sections: [
      {
        children: [
          new Paragraph({ children: [new TextRun('Dear {{client_name}},')] }),
          new Paragraph({
            children: [new TextRun('Payment is due on {{ due'), new TextRun({ text: '_date }}', bold: true })],
          }),
          new Paragraph({ children: [new TextRun('Again: {{client_name}} — café 東京')] }),
        ],
      },
    ],
  });
  return new Uint8Array(await (await Packer.toBlob(doc)).arrayBuffer());
};

/** A fillable PDF with a text field whose name is not a variable name, a checkbox and a dropdown. */
export const buildPdfForm = async (withFields = true): Promise<Uint8Array> => {
  const { PDFDocument } = await import('pdf-lib');
  const pdf = await PDFDocument.create();
  const page = pdf.addPage([595, 842]);
  if (withFields) {
    const form = pdf.getForm();
    form.createTextField('First name').addToPage(page, { x: 50, y: 700, width: 200, height: 20 });
    form.createCheckBox('agree').addToPage(page, { x: 50, y: 650, width: 15, height: 15 });
    const country = form.createDropdown('country');
    country.addOptions(['PT', 'JP']);
    country.addToPage(page, { x: 50, y: 600, width: 100, height: 20 });
  } else {
    page.drawText('No fields here', { x: 50, y: 700 });
  }
  return pdf.save();
};

/** The template's object keys in R2 (the API never shows them). */
export const storedFiles = async (tenant: Pick<TestTenant, 'orgId'>, templateId: string) =>
  (await env.FILES.list({ prefix: `tenants/${tenant.orgId}/templates/${templateId}/` })).objects.map((o) => o.key);
