import { CONTENT_TYPES } from '@flowspark/docgen';
import { defineRoute } from '../../lib/define-route';
import { binary } from '../../lib/download';
import type { GroupApp } from '../../lib/group';
import { errorResponses } from '../../lib/schemas';
import { DocumentIdParams, DownloadQuery } from './schemas';
import { sendDownload } from './shared';

export const downloadDocumentRoute = defineRoute(
  { scope: 'documents:read' },
  {
    method: 'get',
    path: '/documents/{id}/download',
    operationId: 'downloadDocument',
    tags: ['Documents'],
    summary: 'Download the current version of a document, or an older one with ?version=N',
    description:
      'The file with its `Content-Type`, `Content-Length`, `ETag`, `X-Document-Version` and a `Content-Disposition` ' +
      'named after the title. Not rendered yet (or its first render failed): 409 CONFLICT "The document is not ready". ' +
      'An unknown version: 404. `If-None-Match` with the ETag answers 304.',
    request: { params: DocumentIdParams, query: DownloadQuery },
    responses: {
      200: {
        description: 'The file',
        content: {
          [CONTENT_TYPES.pdf]: { schema: binary },
          [CONTENT_TYPES.docx]: { schema: binary },
          [CONTENT_TYPES.xlsx]: { schema: binary },
        },
      },
      304: { description: 'Not modified (If-None-Match matched)' },
      ...errorResponses([404, 409]),
    },
  },
);

export const registerDownloadDocument = (app: GroupApp) =>
  app.openapi(downloadDocumentRoute, (c) =>
    sendDownload(c, 'document', c.req.valid('param').id, c.req.valid('query').version),
  );
