import type { FontSource } from '../fonts';
import type { DocumentModel, Format, RenderedFile } from '../model';

/**
 * Renders the model in one format, loading only that renderer (and its library) on first use:
 * the PDF path never loads docx, a DOCX render never loads pdf-lib or a font.
 */
export async function render(model: DocumentModel, format: Format, deps: { fonts: FontSource }): Promise<RenderedFile> {
  switch (format) {
    case 'pdf':
      return (await import('./pdf')).renderPdf(model, deps);
    case 'docx':
      return (await import('./docx')).renderDocx(model);
    case 'xlsx':
      return (await import('./xlsx')).renderXlsx(model);
    case 'pptx':
      return (await import('./pptx')).renderPptx(model);
  }
}
