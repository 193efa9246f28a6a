import { describe, expect, it } from 'vitest';
import { createTenant, expectOk, fileOf, indexed, KB, makePdf, search, uploadAccepted, vectorStats } from './helpers';

const MODES = ['keyword', 'vector', 'hybrid'] as const;

/** Near-identical manuals: the same words except each organization's own code. */
const manualFor = (company: string, code: string) =>
  makePdf([
    {
      heading: 'Vault access',
      lines: [`The vault code of ${company} is ${code}.`, 'Change the vault code every quarter.'],
    },
    { heading: 'Alarm', lines: ['The alarm sounds when the vault door stays open for two minutes.'] },
  ]);

describe('knowledge-base tenant isolation', () => {
  it('never returns another organization’s content from search, query or citations', async () => {
    const acme = await createTenant();
    const globex = await createTenant();
    const acmeDoc = await indexed(
      acme,
      await uploadAccepted(acme, { file: fileOf(await manualFor('Acme', 'A4417'), 'vault.pdf') }),
    );
    const globexDoc = await indexed(
      globex,
      await uploadAccepted(globex, { file: fileOf(await manualFor('Globex', 'G9902'), 'vault.pdf') }),
    );
    expect((await vectorStats(acme.orgId)).count).toBe(acmeDoc.chunk_count);
    expect((await vectorStats(globex.orgId)).count).toBe(globexDoc.chunk_count);

    for (const [tenant, own, foreign, foreignCode, foreignCompany] of [
      [acme, acmeDoc, globexDoc, 'G9902', 'Globex'],
      [globex, globexDoc, acmeDoc, 'A4417', 'Acme'],
    ] as const) {
      for (const mode of MODES) {
        const hits = (await search(tenant, { q: 'vault code alarm door', mode, top_k: 20 })).hits;
        expect(hits, mode).toHaveLength(2);
        expect(new Set(hits.map((h) => h.document_id)), mode).toEqual(new Set([own.id]));
        expect(JSON.stringify(hits)).not.toContain(foreignCode);
        // Asking for the other organization's code or its document finds nothing.
        const code = (await search(tenant, { q: foreignCode, mode, top_k: 20 })).hits;
        expect(
          code.filter((h) => h.document_id !== own.id),
          mode,
        ).toEqual([]);
        expect(JSON.stringify(code)).not.toContain(foreignCode);
        const byId = await search(tenant, { q: 'vault code', mode, document_ids: foreign.id });
        expect(byId.hits, mode).toEqual([]);

        const answer = expectOk(
          await tenant.as('POST', `${KB}/query`, { body: { query: `What is the vault code? ${foreignCode}`, mode } }),
        ).body.data;
        expect(answer.citations, mode).toHaveLength(1);
        expect(
          answer.citations.every((c: any) => c.document_id === own.id),
          mode,
        ).toBe(true);
        expect(JSON.stringify(answer.citations)).not.toContain(foreignCode);
        // The question names the other code; the answer and its sources never show the other's content.
        expect(answer.answer).not.toContain(foreignCompany);
        expect(JSON.stringify(answer.citations)).not.toContain(foreignCompany);
        const filtered = expectOk(
          await tenant.as('POST', `${KB}/query`, {
            body: { query: 'What is the vault code?', mode, filters: { document_ids: [foreign.id] } },
          }),
        ).body.data;
        expect(filtered.citations, mode).toEqual([]);
      }
    }
  });
});
