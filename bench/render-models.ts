// The document models of the renderer bench cases, shared by the Node run (bench/render-case.ts) and
// the workerd run (bench/workerd-render/worker.ts).
import { buildSampleDeck, buildSampleModel, buildSampleTable, DocumentModel } from '@flowspark/docgen';

export const renderCaseModel = (kind: string): DocumentModel => {
  switch (kind) {
    case 'pdf-100':
    case 'docx-100':
      return buildSampleModel({ pages: 100 });
    case 'pptx-50':
      return buildSampleDeck(50);
    case 'xlsx-100k':
      return DocumentModel.parse({
        title: 'Orders',
        sections: [{ heading: 'All orders', blocks: [buildSampleTable(100_000)] }],
      });
    default:
      throw new Error(`unknown case ${kind}`);
  }
};
