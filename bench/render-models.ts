// The document models of the renderer bench cases, shared by the Node run (bench/render-case.ts) and
// the workerd run (bench/workerd-render/worker.ts). The table is parsed the way the generation job
// parses a request's content (parseDocumentModel: its rows are checked in place, not copied).
import {
  buildSampleDeck,
  buildSampleModel,
  buildSampleTable,
  type DocumentModel,
  parseDocumentModel,
} from '@flowspark/docgen';

export const renderCaseModel = (kind: string): DocumentModel => {
  switch (kind) {
    case 'pdf-100':
    case 'docx-100':
      return buildSampleModel({ pages: 100 });
    case 'pptx-50':
      return buildSampleDeck(50);
    case 'xlsx-100k': {
      const parsed = parseDocumentModel({
        title: 'Orders',
        sections: [{ heading: 'All orders', blocks: [buildSampleTable(100_000)] }],
      });
      if (!parsed.success) throw parsed.error;
      return parsed.data;
    }
    default:
      throw new Error(`unknown case ${kind}`);
  }
};
