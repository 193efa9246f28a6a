import { estimateTokens } from '@flowspark/rag';
import { describe, expect, it } from 'vitest';
import { ISO_TIME } from '../helpers/harness';
import {
  createTenant,
  env,
  expectOk,
  fileOf,
  ftsRows,
  HTML_PAGE,
  indexed,
  KB,
  keywordStats,
  makeDocx,
  makePdf,
  r2Keys,
  search,
  storedChunks,
  textAccepted,
  uploadAccepted,
  vectorStats,
} from './helpers';

const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

describe('knowledge-base ingestion', () => {
  it('indexes a multi-page PDF: pages, chunks with offsets, keyword rows, vectors and the stored original', async () => {
    const tenant = await createTenant();
    const bytes = await makePdf(
      [
        {
          heading: 'Installation',
          lines: ['Unpack the turbine controller and mount it on the wall.', 'Connect the grey cable to port A.'],
        },
        {
          heading: 'Maintenance',
          lines: ['Replace the hydraulic filter every six months.', 'Check the oil pressure weekly.'],
        },
        { heading: 'Warranty', lines: ['The warranty covers manufacturing defects for three years.'] },
      ],
      'Turbine manual',
    );
    const accepted = await uploadAccepted(tenant, {
      file: fileOf(bytes, 'turbine-manual.pdf', 'application/pdf'),
      tags: 'Manuals, turbines,manuals',
      category: 'engineering',
    });
    expect(accepted.duplicate).toBe(false);
    expect(accepted.job_id).toMatch(/^job_/);
    expect(accepted.document).toMatchObject({
      title: 'turbine-manual',
      source_type: 'upload',
      filename: 'turbine-manual.pdf',
      detected_type: 'pdf',
      size_bytes: bytes.byteLength,
      status: 'uploading',
      tags: ['manuals', 'turbines'],
      category: 'engineering',
      chunk_count: 0,
      job_id: accepted.job_id,
    });
    expect(accepted.document.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await r2Keys(tenant.orgId, accepted.document.id)).toEqual([
      `tenants/${tenant.orgId}/kb/${accepted.document.id}/original.pdf`,
    ]);

    const doc = await indexed(tenant, accepted);
    expect(doc).toMatchObject({
      status: 'indexed',
      page_count: 3,
      embedding_model: 'local-hash-384',
      chunking: { chunk_size: 1000, chunk_overlap: 150 },
      error_code: null,
    });
    expect(doc.chunk_count).toBeGreaterThanOrEqual(3);
    expect(doc.char_count).toBeGreaterThan(100);
    expect(doc.indexed_at).toMatch(ISO_TIME);

    const chunks = await storedChunks(doc.id);
    expect(chunks).toHaveLength(doc.chunk_count);
    // A chunk never crosses a page: each names its page, and the pages come in order.
    expect(chunks.map((c) => c.page_number)).toEqual([...chunks.map((c) => c.page_number)].sort());
    expect(new Set(chunks.map((c) => c.page_number))).toEqual(new Set([1, 2, 3]));
    const filter = chunks.find((c) => c.text.includes('hydraulic filter'))!;
    expect(filter.page_number).toBe(2);
    const warranty = chunks.find((c) => c.text.includes('three years'))!;
    expect(warranty.page_number).toBe(3);
    for (const [i, c] of chunks.entries()) {
      expect(c.chunk_index).toBe(i);
      expect(c.id).toMatch(/^chk_[0-9a-f]{32}$/);
      expect(c.end_offset - c.start_offset).toBe(c.text.length);
      expect(c.token_count).toBe(estimateTokens(c.text));
      if (i > 0) expect(c.start_offset).toBeGreaterThan(chunks[i - 1]!.start_offset);
    }
    const fts = await ftsRows(tenant.orgId, doc.id);
    expect(fts.map((r) => r.chunk_id).sort()).toEqual(chunks.map((c) => c.id).sort());
    expect(fts.every((r) => r.document_id === doc.id)).toBe(true);
    expect(await keywordStats(tenant.orgId)).toMatchObject({ namespace: tenant.orgId, ready: true });
    expect((await vectorStats(tenant.orgId)).count).toBe(chunks.length);

    const job = expectOk(await tenant.as('GET', `/api/v1/jobs/${accepted.job_id}`)).body.data;
    expect(job).toMatchObject({ status: 'done', progress: 100, type: 'kb.ingest', resource_id: doc.id });
    expect(job.result).toMatchObject({ document_id: doc.id, chunk_count: chunks.length, page_count: 3 });

    const hits = (await search(tenant, { q: 'hydraulic filter', mode: 'keyword' })).hits;
    expect(hits[0]).toMatchObject({ document_id: doc.id, page_number: 2, title: 'turbine-manual', keyword_rank: 1 });
    expect(hits[0]!.snippet).toContain('hydraulic filter');
  });

  it('indexes a DOCX with its headings', async () => {
    const tenant = await createTenant();
    const accepted = await uploadAccepted(tenant, {
      file: fileOf(await makeDocx(), 'handbook.docx', DOCX_TYPE),
      title: 'Handbook 2026',
    });
    expect(accepted.document).toMatchObject({ detected_type: 'docx', title: 'Handbook 2026' });
    const doc = await indexed(tenant, accepted);
    expect(doc.page_count).toBeNull();
    const chunks = await storedChunks(doc.id);
    const text = chunks.map((c) => c.text).join('\n');
    expect(text).toContain('twenty-five vacation days');
    expect(text).toContain('Unused days expire on March 31');
    expect(chunks.every((c) => c.page_number === null)).toBe(true);
    const headings = new Set(chunks.map((c) => c.heading));
    expect([...headings].some((h) => h?.includes('Vacation policy') || h?.includes('Employee Handbook'))).toBe(true);

    // Small chunks: each section's text sits under its own heading.
    const reindex = expectOk(
      await tenant.as('POST', `${KB}/documents/${doc.id}/reindex`, { body: { chunk_size: 100, chunk_overlap: 0 } }),
      202,
    );
    const { ingest } = await import('./helpers');
    await ingest(tenant, { document: doc as { id: string }, job_id: reindex.body.data.job_id });
    const small = await storedChunks(doc.id);
    const remote = small.find((c) => c.text.includes('three days per week'))!;
    expect(remote.heading).toContain('Remote work');
    const travel = small.find((c) => c.text.includes('reimbursed'))!;
    expect(travel.heading).toContain('Expenses');

    const hit = (await search(tenant, { q: 'remote work days per week', mode: 'keyword', top_k: 1 })).hits[0]!;
    expect(hit).toMatchObject({ document_id: doc.id, heading: remote.heading, chunk_id: remote.id, page_number: null });
  });

  it('indexes an HTML page without its scripts and styles', async () => {
    const tenant = await createTenant();
    const accepted = await uploadAccepted(tenant, {
      file: fileOf(HTML_PAGE, 'page.bin', 'application/octet-stream'),
    });
    expect(accepted.document.detected_type).toBe('html');
    const doc = await indexed(tenant, accepted);
    const text = (await storedChunks(doc.id)).map((c) => c.text).join('\n');
    expect(text).toContain('hold the reset button for ten seconds');
    expect(text).toContain('printed on the label');
    for (const hidden of [
      'script-marker',
      'trackingSecret',
      'another-script-marker',
      'hidden-style-marker',
      'color: red',
    ]) {
      expect(text).not.toContain(hidden);
    }
    for (const mode of ['keyword', 'vector', 'hybrid']) {
      expect(
        (await search(tenant, { q: 'script-marker-should-not-be-indexed', mode })).hits.filter((h) =>
          h.snippet.includes('marker'),
        ),
      ).toEqual([]);
    }
    const hit = (await search(tenant, { q: 'reset the router', mode: 'hybrid', top_k: 1 })).hits[0]!;
    expect(hit.document_id).toBe(doc.id);
    expect(hit.snippet).toContain('reset button');
  });

  it('indexes non-English text: French with accents and Japanese, found in every mode', async () => {
    const tenant = await createTenant();
    const french = await addText(tenant, {
      title: 'Politique de congés',
      text:
        '# Congés payés\n\nChaque salarié bénéficie de vingt-cinq jours de congés payés par année civile.\n\n' +
        "## Télétravail\n\nLe télétravail est autorisé deux jours par semaine après la période d'essai.",
      format: 'markdown',
      tags: ['RH'],
    });
    expect(french).toMatchObject({ detected_type: 'markdown', tags: ['rh'], source_type: 'text', filename: null });
    const japanese = await addText(tenant, {
      title: '東京オフィス案内',
      text: '東京オフィスは渋谷駅から徒歩五分です。会議室の予約は総務部に連絡してください。',
    });
    expect(japanese.detected_type).toBe('text');
    const jaChunks = await storedChunks(japanese.id);
    expect(jaChunks[0]!.text).toContain('渋谷駅');
    // The keyword index holds CJK text as overlapping bigrams.
    expect((await ftsRows(tenant.orgId, japanese.id))[0]!.search_text).toContain('渋谷 谷駅');

    for (const mode of ['keyword', 'vector', 'hybrid']) {
      const fr = (await search(tenant, { q: 'conges payes salarie', mode })).hits;
      expect(fr[0]?.document_id, mode).toBe(french.id);
      const ja = (await search(tenant, { q: '会議室の予約', mode })).hits;
      expect(ja[0]?.document_id, mode).toBe(japanese.id);
    }
    const teletravail = (await search(tenant, { q: 'télétravail semaine', mode: 'keyword', top_k: 1 })).hits[0]!;
    expect(teletravail.snippet).toContain('Le télétravail est autorisé deux jours par semaine');
  });

  it('stores texts as .txt or .md originals', async () => {
    const tenant = await createTenant();
    const plain = await textAccepted(tenant, { title: 'Plain', text: 'Just a plain note about lighthouses.' });
    const md = await textAccepted(tenant, {
      title: 'Notes',
      text: '# Notes\n\nMarkdown about harbours.',
      format: 'markdown',
    });
    expect(await r2Keys(tenant.orgId, plain.document.id)).toEqual([
      `tenants/${tenant.orgId}/kb/${plain.document.id}/original.txt`,
    ]);
    expect(await r2Keys(tenant.orgId, md.document.id)).toEqual([
      `tenants/${tenant.orgId}/kb/${md.document.id}/original.md`,
    ]);
    const object = await env.FILES.get(`tenants/${tenant.orgId}/kb/${md.document.id}/original.md`);
    expect(await object!.text()).toBe('# Notes\n\nMarkdown about harbours.');
    expect(plain.document).toMatchObject({ size_bytes: 36, detected_type: 'text', status: 'uploading' });
  });
});

const addText = async (tenant: Awaited<ReturnType<typeof createTenant>>, body: Record<string, unknown>) =>
  indexed(tenant, await textAccepted(tenant, body));
