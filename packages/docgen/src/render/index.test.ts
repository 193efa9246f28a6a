import { describe, expect, it } from 'vitest';
import { CONTENT_TYPES, DocumentModel, FORMATS } from '../model';
import { recordingFonts } from '../pdf-test-support';
import { render } from './index';

const model = DocumentModel.parse({
  title: 'Dispatch',
  sections: [{ heading: 'One', blocks: [{ type: 'table', columns: ['a'], rows: [['b']] }] }],
});

/** The file signature each format must start with: %PDF- or a ZIP local file header. */
const SIGNATURES = {
  pdf: [0x25, 0x50, 0x44, 0x46, 0x2d],
  docx: [0x50, 0x4b, 3, 4],
  xlsx: [0x50, 0x4b, 3, 4],
  pptx: [0x50, 0x4b, 3, 4],
};

describe('render', () => {
  it.each(FORMATS)('renders %s with the matching renderer', async (format) => {
    const { source, loaded } = recordingFonts();
    const file = await render(model, format, { fonts: source });
    expect(file.extension).toBe(format);
    expect(file.contentType).toBe(CONTENT_TYPES[format]);
    expect([...file.bytes.subarray(0, SIGNATURES[format].length)]).toEqual(SIGNATURES[format]);
    // Only the PDF renderer needs fonts.
    if (format === 'pdf') expect(loaded).toEqual(['NotoSans-Regular', 'NotoSans-Bold']);
    else expect(loaded).toEqual([]);
  });
});
