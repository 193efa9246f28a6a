import { type ConversationExport, exportConversation, exportMarkdown, MAX_EXPORT_MESSAGES } from '@flowspark/chat';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import { contentDisposition } from '../../lib/download';
import type { GroupApp } from '../../lib/group';
import { errorResponses } from '../../lib/schemas';
import { presentExport } from './present';
import { ConversationExportSchema, conversationIdParams, ExportQuerySchema } from './schemas';

export const exportConversationRoute = defineRoute(
  { scope: 'chat:read' },
  {
    method: 'get',
    path: '/conversations/{id}/export',
    operationId: 'exportConversation',
    tags: ['Chat'],
    summary: 'Download a conversation with all its messages',
    description:
      'The conversation, its bot and every message (oldest first) with its citations, as a file to save ' +
      '(`Content-Disposition: attachment`, named `conversation-<id>.json` or `.md`). `format=json` (default) is the ' +
      'document below, not wrapped in the response envelope; `format=md` is Markdown: each message under its author ' +
      `and time, a reply's sources listed beneath it. At most ${MAX_EXPORT_MESSAGES} messages (\`truncated\` says when ` +
      "there are more). Another member's conversation is 404 for members and viewers.",
    request: { params: conversationIdParams, query: ExportQuerySchema },
    responses: {
      200: {
        description: 'The conversation as a file',
        content: {
          'application/json': { schema: ConversationExportSchema },
          'text/markdown': { schema: z.string().openapi({ example: '# Opening hours\n\n- Conversation: …' }) },
        },
      },
      ...errorResponses([404]),
    },
  },
);

const fileOf = (data: ConversationExport, format: 'json' | 'md', exportedAt: string) =>
  format === 'md'
    ? { body: exportMarkdown(data, exportedAt), type: 'text/markdown; charset=utf-8' }
    : { body: JSON.stringify(presentExport(data, exportedAt), null, 2), type: 'application/json; charset=utf-8' };

export const registerExportConversation = (app: GroupApp) =>
  app.openapi(exportConversationRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { format } = c.req.valid('query');
    const { db, actor } = routeContext(c);
    const data = await exportConversation(db, actor, id);
    const file = fileOf(data, format, new Date().toISOString());
    return c.body(file.body, 200, {
      'Content-Type': file.type,
      'Content-Disposition': contentDisposition(`conversation-${id}.${format}`),
      'Cache-Control': 'private, no-store',
      'X-Content-Type-Options': 'nosniff',
    });
  });
