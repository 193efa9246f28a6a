import { describe, expect, it } from 'vitest';
import { EXTRACTION_LIMITS } from './limits';
import { assembleExtraction } from './normalize';

describe('assembleExtraction', () => {
  it('refuses more text than the extraction limit with 413 TOO_LARGE, the limit and the actual length', () => {
    const half = 'a'.repeat(EXTRACTION_LIMITS.maxTextChars / 2);
    let err: any;
    try {
      assembleExtraction({
        type: 'text',
        title: null,
        blocks: [
          { kind: 'paragraph', text: half, page_number: null },
          { kind: 'paragraph', text: `${half}b`, page_number: null },
        ],
      });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    expect(err.message).toBe(`The document holds more than ${EXTRACTION_LIMITS.maxTextChars} characters of text`);
    // The two blocks and the blank line between them.
    expect(err.details).toEqual({
      limit: EXTRACTION_LIMITS.maxTextChars,
      actual: EXTRACTION_LIMITS.maxTextChars + 3,
      reason: 'TOO_LARGE',
    });
  });
});
