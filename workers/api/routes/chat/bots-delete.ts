import { deleteBot, purgeBotDocuments } from '@flowspark/chat';
import { chatSessions } from '../../../lib/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { stopJob } from '../../lib/jobs';
import { noContent } from '../../lib/respond';
import { errorResponses } from '../../lib/schemas';
import { kbPortsOf } from '../kb/shared';
import { botIdParams } from './schemas';

export const deleteBotRoute = defineRoute(
  { scope: 'bots:write' },
  {
    method: 'delete',
    path: '/bots/{id}',
    operationId: 'deleteBot',
    tags: ['Chat'],
    summary: 'Delete a bot with its training documents, conversations and messages',
    description:
      'Only owners and admins may delete a public bot. The sockets open on its conversations close (4404), its widget ' +
      'visitors’ too.',
    request: { params: botIdParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses([404, 409]) },
  },
);

export const registerDeleteBot = (app: GroupApp) =>
  app.openapi(deleteBotRoute, async (c) => {
    const { id } = c.req.valid('param');
    const ctx = routeContext(c);
    const { db, actor, env } = ctx;
    await deleteBot(
      {
        db,
        sessions: chatSessions(env),
        purgeDocuments: (bot) =>
          purgeBotDocuments(kbPortsOf(c), bot, (jobId) =>
            stopJob(ctx, jobId, 'Cancellation requested: the bot was deleted'),
          ),
      },
      actor,
      id,
    );
    return noContent(c);
  });
