import {
  listNotifications,
  markAllNotificationsRead,
  markNotificationRead,
  type NotificationRow,
} from '@flowspark/notifications';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import { createGroup, type GroupApp } from '../../lib/group';
import { ok, paginated } from '../../lib/respond';
import {
  errorResponses,
  idParam,
  jsonResponse,
  PageQuerySchema,
  paginatedResponse,
  TimestampSchema,
} from '../../lib/schemas';

const NotificationSchema = z
  .object({
    id: z.string().openapi({ example: 'ntf_0a1b2c3d4e5f40718293a4b5c6d7e8f9' }),
    type: z.string().openapi({ example: 'document.ready' }),
    title: z.string(),
    body: z.string(),
    data: z.record(z.string(), z.unknown()),
    read_at: TimestampSchema.nullable(),
    created_at: TimestampSchema,
  })
  .openapi('Notification');

const ListQuery = PageQuerySchema.extend({
  unread: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .openapi({ param: { name: 'unread', in: 'query' }, description: '`true`: unread ones only' }),
});

const present = (row: NotificationRow) => ({
  id: row.id,
  type: row.type,
  title: row.title,
  body: row.body,
  data: row.data,
  read_at: row.readAt,
  created_at: row.createdAt,
});

export const listNotificationsRoute = defineRoute(
  { scope: 'notifications:read' },
  {
    method: 'get',
    path: '/notifications',
    operationId: 'listNotifications',
    tags: ['Notifications'],
    summary: 'Your notifications, newest first',
    description:
      'A job you started that failed, a document of yours that is ready, an indexed knowledge-base document; for ' +
      'owners and admins also plan changes and disabled webhook endpoints. Each also arrives live on the job feed ' +
      '(GET /jobs/feed) as `{"type":"notification","notification"}` on your own sockets.',
    request: { query: ListQuery },
    responses: { 200: paginatedResponse(NotificationSchema, 'A page of notifications') },
  },
);

export const readNotificationRoute = defineRoute(
  { scope: 'notifications:write' },
  {
    method: 'post',
    path: '/notifications/{id}/read',
    operationId: 'readNotification',
    tags: ['Notifications'],
    summary: 'Mark a notification read',
    request: { params: z.object({ id: idParam('id', 'ntf_0a1b2c3d4e5f40718293a4b5c6d7e8f9') }) },
    responses: { 200: jsonResponse(NotificationSchema, 'The notification'), ...errorResponses([404]) },
  },
);

export const readAllNotificationsRoute = defineRoute(
  { scope: 'notifications:write' },
  {
    method: 'post',
    path: '/notifications/read-all',
    operationId: 'readAllNotifications',
    tags: ['Notifications'],
    summary: 'Mark every notification read',
    responses: { 200: jsonResponse(z.object({ marked: z.number().int() }), 'How many were unread') },
  },
);

const register = (app: GroupApp) => {
  app.openapi(listNotificationsRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const query = c.req.valid('query');
    const { items, total } = await listNotifications(db, actor.orgId, actor.userId, query);
    return paginated(c, items.map(present), query, total);
  });
  app.openapi(readAllNotificationsRoute, async (c) => {
    const { db, actor } = routeContext(c);
    return ok(c, { marked: await markAllNotificationsRead(db, actor.orgId, actor.userId) }, 200);
  });
  app.openapi(readNotificationRoute, async (c) => {
    const { db, actor } = routeContext(c);
    return ok(c, present(await markNotificationRead(db, actor.orgId, actor.userId, c.req.valid('param').id)), 200);
  });
};

/** In-app notifications: `/notifications…` (each member their own). */
const app = createGroup();
register(app);

export default app;
