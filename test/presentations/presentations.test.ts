import { describe, expect, it } from 'vitest';
import {
  call,
  countRows,
  createTenant,
  DOCUMENTS,
  download,
  downloadOk,
  expectError,
  generate,
  generateDone,
  openDeck,
  PPTX_TYPE,
  PRESENTATIONS,
  r2Keys,
  runToEnd,
} from '../documents/helpers';
import { addMember, expectOk } from '../helpers/harness';
import { readJob } from '../jobs/helpers';
import { buildDocx, createModelTemplate, fileOf, upload } from '../templates/fixtures';

const PROMPT =
  'Our café in 東京 doubled its sales. Customers love the Crème brûlée. ' +
  'We will hire three baristas. The next shop opens in Osaka.';

describe('POST /presentations/generate', () => {
  it('writes a deck from a prompt: a title slide, N content slides with bullets, and speaker notes', async () => {
    const tenant = await createTenant();
    const created = await generate(tenant, { title: 'Café review', prompt: PROMPT, slide_count: 3 }, 'presentations');
    expect(created).toMatchObject({
      title: 'Café review',
      format: 'pptx',
      status: 'pending',
      slide_count: 3,
      speaker_notes: true,
      current_version: 0,
      download_url: null,
    });
    expect((await readJob(created.job_id)).type).toBe('presentation.generate');

    const { doc } = await runToEnd(tenant, created, 'presentations');
    expect(doc).toMatchObject({
      status: 'completed',
      current_version: 1,
      content_type: PPTX_TYPE,
      model_used: 'local-extractive-v1',
      download_url: `${PRESENTATIONS}/${created.id}/download`,
    });
    expect(doc.tokens_used).toBe(1145);

    const file = await downloadOk(tenant.accessToken, doc.download_url);
    expect(file.headers.get('content-type')).toBe(PPTX_TYPE);
    expect(file.headers.get('content-disposition')).toBe(
      `attachment; filename="Cafe review.pptx"; filename*=UTF-8''Caf%C3%A9%20review.pptx`,
    );
    expect(file.headers.get('content-length')).toBe(String(file.bytes.byteLength));
    const deck = await openDeck(file.bytes);
    expect(deck.slides).toHaveLength(4);
    expect(deck.slides[0]).toContain('Café review');
    expect(deck.slides[1]).toEqual(expect.arrayContaining(['Overview', 'Our café in 東京 doubled its sales.']));
    expect(deck.slides[2]).toEqual(
      expect.arrayContaining(['2. Customers love the Crème brûlée', 'Customers love the Crème brûlée.']),
    );
    expect(deck.slides[3]).toContain('We will hire three baristas.');
    for (const [i, notes] of deck.notes.slice(1).entries()) {
      expect(notes.join(' ')).toContain(`Slide ${i + 1} of 3:`);
    }
    expect(await r2Keys(tenant.orgId, 'presentations', created.id)).toEqual([
      `tenants/${tenant.orgId}/presentations/${created.id}/v1.pptx`,
    ]);
  });

  it('renders given content as slides, and leaves out notes when speaker_notes is false', async () => {
    const tenant = await createTenant();
    const doc = await generateDone(
      tenant,
      {
        title: 'Roadmap',
        speaker_notes: false,
        input_data: { quarter: 'Q3' },
        content: {
          title: 'Roadmap {{quarter}}',
          subtitle: 'Engineering',
          sections: [
            {
              heading: 'Goals',
              blocks: [{ type: 'bullets', items: ['Ship search 🔍', 'Open 東京 office'] }],
              speaker_notes: 'Secret note',
            },
            {
              heading: 'Numbers',
              blocks: [
                {
                  type: 'table',
                  columns: ['Team', 'People'],
                  rows: [
                    ['Core', 5],
                    ['Édition', 3],
                  ],
                },
              ],
            },
          ],
        },
      },
      'presentations',
    );
    expect(doc).toMatchObject({ speaker_notes: false, slide_count: 8, tokens_used: 0, model_used: null });
    const deck = await openDeck((await downloadOk(tenant.accessToken, doc.download_url)).bytes);
    expect(deck.slides).toHaveLength(3);
    expect(deck.slides[0]).toEqual(expect.arrayContaining(['Roadmap Q3', 'Engineering']));
    expect(deck.slides[1]).toEqual(expect.arrayContaining(['Goals', 'Ship search 🔍', 'Open 東京 office']));
    expect(deck.slides[2]).toEqual(expect.arrayContaining(['Numbers', 'Team', 'People', 'Core', '5', 'Édition', '3']));
    expect(deck.notes.flat().join(' ')).not.toContain('Secret note');
  });

  it('fills a model template into a deck', async () => {
    const tenant = await createTenant();
    const template = await createModelTemplate(tenant.accessToken, { format: 'pptx' });
    const doc = await generateDone(
      tenant,
      { title: 'Invoice deck', template_id: template.id, input_data: { client: 'Zoë & Co' } },
      'presentations',
    );
    const deck = await openDeck((await downloadOk(tenant.accessToken, doc.download_url)).bytes);
    expect(deck.slides[0]).toContain('Invoice for Zoë & Co');
    expect(deck.slides[1]).toEqual(expect.arrayContaining(['Summary', 'Dear Zoë & Co, please pay by .']));
  });

  it('a deck over the renderer cap fails with its code and leaves no file', async () => {
    const tenant = await createTenant();
    // Imported here, not at the top: see the note in the report about schemas built before zod-openapi.
    const { PPTX_MAX_SLIDES } = await import('../../packages/docgen/src/render/pptx');
    const sections = Array.from({ length: PPTX_MAX_SLIDES }, (_, i) => ({ heading: `Slide ${i}` }));
    const created = await generate(
      tenant,
      { title: 'Too long', content: { title: 'Too long', sections } },
      'presentations',
    );
    const { doc, job } = await runToEnd(tenant, created, 'presentations');
    expect(job).toMatchObject({ status: 'error', attempts: 1, error_code: 'PAYLOAD_TOO_LARGE' });
    expect(doc).toMatchObject({ status: 'failed', error_code: 'PAYLOAD_TOO_LARGE', download_url: null });
    expect(doc.error_message).toContain(`at most ${PPTX_MAX_SLIDES} slides`);
    expect((await download(tenant.accessToken, `${PRESENTATIONS}/${doc.id}/download`)).status).toBe(409);
    expect(await r2Keys(tenant.orgId, 'presentations', doc.id)).toEqual([]);
  });

  it('validates the body and the template kind', async () => {
    const tenant = await createTenant();
    const post = (body: unknown) => tenant.as('POST', `${PRESENTATIONS}/generate`, { body });
    for (const slide_count of [0, 51, 2.5, '8']) {
      const res = expectError(await post({ title: 'x', prompt: 'p', slide_count }), 400, 'VALIDATION_ERROR');
      expect(Object.keys(res.body.error.details.fields)).toEqual(['slide_count']);
    }
    expectError(await post({ title: 'x', prompt: 'p', format: 'pptx' }), 400, 'VALIDATION_ERROR');
    expectError(await post({ title: 'x', prompt: 'p', speaker_notes: 'yes' }), 400, 'VALIDATION_ERROR');
    expectError(await post({ title: 'x' }), 400, 'VALIDATION_ERROR');
    expectError(await post({ title: 'x', prompt: 'a'.repeat(20_001) }), 413, 'PAYLOAD_TOO_LARGE');
    const docx = expectOk(
      await upload(tenant.accessToken, { file: fileOf(await buildDocx(), 'letter.docx'), name: 'Letter' }),
      201,
    ).body.data;
    const wrong = expectError(
      await post({ title: 'x', template_id: docx.id, input_data: { client_name: 'A', due_date: 'B' } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(wrong.body.error.details.fields.format[0]).toBe('A DOCX file template makes docx files; pptx was asked for');
    expectError(
      await tenant.as('POST', `${PRESENTATIONS}/generate`, {
        rawBody: 'not json',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'MALFORMED_JSON',
    );
    expect(await countRows('documents', 'org_id', tenant.orgId)).toBe(0);
  });
});

describe('presentations: list, get, delete, download', () => {
  it('lists presentations apart from documents; each is 404 under the other path', async () => {
    const tenant = await createTenant();
    const deck = await generate(tenant, { title: 'Deck', prompt: 'One.' }, 'presentations');
    const doc = await generate(tenant, { title: 'Doc', format: 'pdf', prompt: 'Two.' });
    const decks = expectOk(await tenant.as('GET', PRESENTATIONS));
    expect(decks.body.data.map((d: { id: string }) => d.id)).toEqual([deck.id]);
    expect(decks.body.data[0]).toEqual(deck);
    const docs = expectOk(await tenant.as('GET', DOCUMENTS));
    expect(docs.body.data.map((d: { id: string }) => d.id)).toEqual([doc.id]);
    expect(expectOk(await tenant.as('GET', `${PRESENTATIONS}?status=failed`)).body.data).toEqual([]);
    expectError(await tenant.as('GET', `${PRESENTATIONS}?format=pdf`), 400, 'VALIDATION_ERROR');

    expectError(await tenant.as('GET', `${PRESENTATIONS}/${doc.id}`), 404, 'NOT_FOUND');
    expectError(await tenant.as('DELETE', `${PRESENTATIONS}/${doc.id}`), 404, 'NOT_FOUND');
    expectError(await tenant.as('GET', `${DOCUMENTS}/${deck.id}`), 404, 'NOT_FOUND');
    expectError(await tenant.as('PUT', `${DOCUMENTS}/${deck.id}`, { body: { title: 'x' } }), 404, 'NOT_FOUND');
    expectError(await tenant.as('DELETE', `${DOCUMENTS}/${deck.id}`), 404, 'NOT_FOUND');
    expect((await download(tenant.accessToken, `${DOCUMENTS}/${deck.id}/download`)).status).toBe(404);
    expect((await download(tenant.accessToken, `${PRESENTATIONS}/${doc.id}/download`)).status).toBe(404);
    expect(expectOk(await tenant.as('GET', `${PRESENTATIONS}/${deck.id}`)).body.data.id).toBe(deck.id);
  });

  it('deletes a presentation with its files', async () => {
    const tenant = await createTenant();
    const deck = await generateDone(tenant, { title: 'Bye', prompt: 'Short deck.', slide_count: 1 }, 'presentations');
    expect(await r2Keys(tenant.orgId, 'presentations', deck.id)).toHaveLength(1);
    expect((await tenant.as('DELETE', `${PRESENTATIONS}/${deck.id}`)).status).toBe(204);
    expect(await r2Keys(tenant.orgId, 'presentations', deck.id)).toEqual([]);
    expect(await countRows('documents', 'id', deck.id)).toBe(0);
    expectError(await tenant.as('GET', `${PRESENTATIONS}/${deck.id}`), 404, 'NOT_FOUND');
  });

  it("another tenant's presentation is 404; viewers read but cannot generate or delete; no token is 401", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const deck = await generateDone(
      tenant,
      { title: 'Ours', prompt: 'Private deck.', slide_count: 1 },
      'presentations',
    );
    for (const [method, path] of [
      ['GET', `${PRESENTATIONS}/${deck.id}`],
      ['DELETE', `${PRESENTATIONS}/${deck.id}`],
      ['GET', `${PRESENTATIONS}/${deck.id}/download`],
    ] as const) {
      expectError(await call(method, path, { token: other.apiKey }), 404, 'NOT_FOUND');
      expectError(await call(method, path), 401, 'UNAUTHENTICATED');
    }
    expect(expectOk(await other.as('GET', PRESENTATIONS)).body.data).toEqual([]);

    const viewer = await addMember(tenant, 'viewer');
    const token = viewer.accessToken;
    expect(expectOk(await call('GET', PRESENTATIONS, { token })).body.data.map((d: { id: string }) => d.id)).toEqual([
      deck.id,
    ]);
    expect((await download(token, deck.download_url)).status).toBe(200);
    expectError(
      await call('POST', `${PRESENTATIONS}/generate`, { token, body: { title: 'x', prompt: 'p' } }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    expectError(await call('DELETE', `${PRESENTATIONS}/${deck.id}`, { token }), 403, 'INSUFFICIENT_SCOPE');
    expectError(
      await call('POST', `${PRESENTATIONS}/generate`, { body: { title: 'x', prompt: 'p' } }),
      401,
      'UNAUTHENTICATED',
    );
    expect(await r2Keys(tenant.orgId, 'presentations', deck.id)).toHaveLength(1);
  });
});
