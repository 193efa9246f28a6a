import { assembleExtraction, decodeUtf8OrFail } from '../normalize';
import type { Extraction } from '../types';

/** Plain text: one paragraph per run of non-blank lines; line breaks inside a paragraph are kept. */
export const extractPlainText = (bytes: Uint8Array): Extraction => {
  const text = decodeUtf8OrFail(bytes, 'text file');
  const blocks = text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t\u00A0\u3000]*\n/)
    .map((part) => ({ kind: 'paragraph' as const, text: part, page_number: null }));
  return assembleExtraction({ type: 'text', title: null, blocks });
};
