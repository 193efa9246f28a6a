import { getDocument } from '@flowspark/content';
import { notFound } from '@flowspark/core';
import { createDb } from '@flowspark/db';
import { CONTENT_TYPES } from '@flowspark/docgen';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { errorResponses } from '../../lib/schemas';
import { DownloadQuery } from '../documents/schemas';
import { binary, sendDownload } from '../documents/shared';
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
  app.openapi(downloadPresentationRoute, async (c) => {
    const { id } = c.req.valid('param');
    const doc = await getDocument(createDb(c.env.DB), c.get('auth').orgId, 'presentation', id);
    if (!doc) throw notFound('Presentation');
    return sendDownload(c, doc, c.req.valid('query').version);
  });
