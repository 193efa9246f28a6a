import { CONTENT_TYPES } from '@flowspark/docgen';
import { defineRoute } from '../../lib/define-route';
import { binary } from '../../lib/download';
import type { GroupApp } from '../../lib/group';
import { errorResponses } from '../../lib/schemas';
import { DownloadQuery } from '../documents/schemas';
import { sendDownload } from '../documents/shared';
import { PresentationIdParams } from './schemas';

export const downloadPresentationRoute = defineRoute(
  { scope: 'documents:read' },
  {
    method: 'get',
    path: '/presentations/{id}/download',
    operationId: 'downloadPresentation',
    tags: ['Presentations'],
    summary: 'Download a presentation (PPTX)',
    description:
      'The deck with `Content-Type`, `Content-Length`, `ETag` and a `Content-Disposition` named after the title. ' +
      'Not rendered yet (or its render failed): 409 CONFLICT "The document is not ready".',
    request: { params: PresentationIdParams, query: DownloadQuery },
    responses: {
      200: { description: 'The deck', content: { [CONTENT_TYPES.pptx]: { schema: binary } } },
      304: { description: 'Not modified (If-None-Match matched)' },
      ...errorResponses([404, 409]),
    },
  },
);

export const registerDownloadPresentation = (app: GroupApp) =>
  app.openapi(downloadPresentationRoute, (c) =>
    sendDownload(c, 'presentation', c.req.valid('param').id, c.req.valid('query').version),
  );
