import { describe, expect, it } from 'vitest';
import { DOCX_LIMITS, measureModel, PDF_LIMITS } from './limits';
import { DocumentModel } from './model';
import { buildSampleModel } from './sample';

describe('buildSampleModel', () => {
  it('builds a valid, deterministic model of about 3,000 characters a page, within the caps at 100 pages', () => {
    const model = buildSampleModel({ pages: 100 });
    expect(DocumentModel.parse(model)).toEqual(model);
    expect(buildSampleModel({ pages: 100 })).toEqual(model);
    expect(model.sections).toHaveLength(100);
    const size = measureModel(model);
    expect(size.textChars).toBeGreaterThan(250_000);
    expect(size.textChars).toBeLessThan(PDF_LIMITS.maxTextChars);
    expect(size.tableCells).toBeLessThan(Math.min(PDF_LIMITS.maxTableCells, DOCX_LIMITS.maxTableCells));
    const text = JSON.stringify(model);
    expect(text).toMatch(/[\u4e00-\u9fff]/);
    expect(JSON.stringify(buildSampleModel({ pages: 5, latinOnly: true }))).not.toMatch(/[\u4e00-\u9fff]/);
  });
});
