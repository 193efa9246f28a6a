import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { makePdf } from '../helpers/files';
import { addMember, call, createTenant, expectError, expectOk, type TestTenant } from '../helpers/harness';
import { eventually } from '../jobs/helpers';
import { withChat } from '../workflows/helpers';

const KB = '/api/v1/kb';

/** Uploads a PDF to the knowledge base through the real queue and waits until it is indexed. */
const indexedPdf = async (tenant: TestTenant, pages: number, title = 'Handbook') => {
  const bytes = await makePdf(
    Array.from({ length: pages }, (_, p) => ({
      heading: `Chapter ${p + 1}`,
      lines: Array.from(
        { length: 44 },
        (_, l) => `Chapter ${p + 1} line ${l + 1}: the tenant keeps the premises clean and reports damage promptly.`,
      ),
    })),
  );
  const form = new FormData();
  form.append('file', new File([bytes], `${title}.pdf`, { type: 'application/pdf' }));
  form.append('title', title);
  const accepted = expectOk(
    await call('POST', `${KB}/documents/upload`, { token: tenant.accessToken, rawBody: form }),
    202,
  ).body.data;
  return eventually(async () => {
    const doc = expectOk(await tenant.as('GET', `${KB}/documents/${accepted.document.id}`)).body.data;
    if (doc.status === 'failed') throw new Error(JSON.stringify(doc));
    return doc.status === 'indexed' ? doc : undefined;
  }, 20_000);
};

const summarize = async (tenant: TestTenant, documentId: string, body: Record<string, unknown> = {}) =>
  expectOk(await tenant.as('POST', `${KB}/documents/${documentId}/summaries`, { body }), 202).body.data;

const finished = (tenant: TestTenant, id: string) =>
  eventually(async () => {
    const summary = expectOk(await tenant.as('GET', `/api/v1/summaries/${id}`)).body.data;
    return summary.status === 'completed' || summary.status === 'failed' ? summary : undefined;
  }, 20_000);

/** Answers citing the first and last passage numbers the prompt shows. */
const citingAnswer = (req: { messages: { content: string }[] }) => {
  const numbers = [...req.messages[0]!.content.matchAll(/\[(\d+)\]/g)].map((m) => m[1]);
  return `The tenant keeps the premises clean [${numbers[0]}] and reports damage [${numbers.at(-1)}].`;
};

describe('summaries', () => {
  it('summarises a long document map-reduce, citing the passages and pages used', async () => {
    const tenant = await createTenant();
    const doc = await indexedPdf(tenant, 8);
    await withChat(citingAnswer, async (calls) => {
      const pending = await summarize(tenant, doc.id, { length: 'short', focus: 'cleaning' });
      expect(pending).toMatchObject({ status: 'pending', length: 'short', focus: 'cleaning', document_id: doc.id });
      const done = await finished(tenant, pending.id);
      expect(done.status).toBe('completed');
      // Several parts, then one combining call.
      expect(done.passes).toBeGreaterThan(2);
      expect(calls).toHaveLength(done.passes);
      expect(calls.at(-1)!.messages[1]!.content).toMatch(/^Combine these into one summary\./);
      expect(calls[0]!.messages[1]!.content).toContain('Focus on: cleaning.');
      expect(done.summary_text).toMatch(/\[1\]/);
      const sources = done.citations.map((c: any) => c.source);
      expect(sources[0]).toBe(1);
      expect(sources.length).toBe(2);
      expect(done.citations[0]).toMatchObject({ page_number: 1 });
      expect(done.citations[1].page_number).toBe(8);
      expect(done.pages_used).toEqual([1, 8]);
      expect(done.citations[0].snippet).toContain('Chapter 1');
      expect(done.tokens_used).toBe(15 * done.passes);
    });
    const listed = expectOk(await tenant.as('GET', `/api/v1/summaries?document_id=${doc.id}`)).body.data;
    expect(listed).toHaveLength(1);
  });

  it('a short document is one call; templates fill their variables, checked against the declarations', async () => {
    const tenant = await createTenant();
    const doc = await indexedPdf(tenant, 1, 'Lease');
    const template = expectOk(
      await tenant.as('POST', '/api/v1/summary-templates', {
        body: {
          name: 'Brief',
          prompt_template: 'Write a brief for {{audience}} in at most {{words}} words.',
          variables: [
            { name: 'audience', type: 'string', required: true },
            { name: 'words', type: 'integer', default: 80 },
          ],
        },
      }),
      201,
    ).body.data;
    const undeclared = expectError(
      await tenant.as('POST', '/api/v1/summary-templates', { body: { name: 'x', prompt_template: 'For {{who}}' } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(undeclared.body.error.details.fields.prompt_template).toEqual(['Declare "who" in variables']);
    const missing = expectError(
      await tenant.as('POST', `${KB}/documents/${doc.id}/summaries`, { body: { template_id: template.id } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(Object.keys(missing.body.error.details.fields)).toEqual(['variables.audience']);
    await withChat(citingAnswer, async (calls) => {
      const pending = await summarize(tenant, doc.id, { template_id: template.id, variables: { audience: 'tenants' } });
      const done = await finished(tenant, pending.id);
      expect(done).toMatchObject({ status: 'completed', passes: 1, variables: { audience: 'tenants', words: 80 } });
      expect(calls).toHaveLength(1);
      expect(calls[0]!.messages[1]!.content).toMatch(/^Write a brief for tenants in at most 80 words\./);
    });
    // The offline provider summarises too (no fake).
    const offline = await finished(tenant, (await summarize(tenant, doc.id)).id);
    expect(offline.status).toBe('completed');
    expect(offline.summary_text.length).toBeGreaterThan(0);
  });

  it('is tenant-isolated, checks the document, and deletes', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const doc = await indexedPdf(tenant, 1);
    expectError(await other.as('POST', `${KB}/documents/${doc.id}/summaries`, { body: {} }), 404, 'NOT_FOUND');
    expectError(
      await tenant.as('POST', `${KB}/documents/${doc.id}/summaries`, { body: { length: 'huge' } }),
      400,
      'VALIDATION_ERROR',
    );
    expectError(
      await tenant.as('POST', `${KB}/documents/${doc.id}/summaries`, {
        body: { template_id: `smt_${'0'.repeat(32)}` },
      }),
      404,
      'NOT_FOUND',
    );
    const summary = await finished(tenant, (await summarize(tenant, doc.id)).id);
    expectError(await other.as('GET', `/api/v1/summaries/${summary.id}`), 404, 'NOT_FOUND');
    expectError(await other.as('DELETE', `/api/v1/summaries/${summary.id}`), 404, 'NOT_FOUND');
    expect(expectOk(await other.as('GET', '/api/v1/summaries')).body.data).toEqual([]);
    const viewer = await addMember(tenant, 'viewer');
    expect(
      expectOk(await call('GET', `/api/v1/summaries/${summary.id}`, { token: viewer.accessToken })).body.data.id,
    ).toBe(summary.id);
    expectError(
      await call('POST', `${KB}/documents/${doc.id}/summaries`, { token: viewer.accessToken, body: {} }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    expectError(await call('GET', '/api/v1/summaries'), 401, 'UNAUTHENTICATED');
    expect((await tenant.as('DELETE', `/api/v1/summaries/${summary.id}`)).status).toBe(204);
    expectError(await tenant.as('GET', `/api/v1/summaries/${summary.id}`), 404, 'NOT_FOUND');
    // A document still being indexed cannot be summarised yet.
    await env.DB.prepare("UPDATE kb_documents SET status = 'processing' WHERE id = ?").bind(doc.id).run();
    const busy = expectError(
      await tenant.as('POST', `${KB}/documents/${doc.id}/summaries`, { body: {} }),
      409,
      'CONFLICT',
    );
    expect(busy.body.error.details.status).toBe('processing');
  });

  it('a summary whose job fails says why', async () => {
    const tenant = await createTenant();
    const doc = await indexedPdf(tenant, 1);
    await withChat(
      () => {
        throw Object.assign(new Error('model unavailable'), { name: 'Boom' });
      },
      async () => {
        const failed = await finished(tenant, (await summarize(tenant, doc.id)).id);
        expect(failed.status).toBe('failed');
        expect(failed.error.code).toBeTruthy();
        expect(failed.summary_text).toBeNull();
      },
    );
  });
});
