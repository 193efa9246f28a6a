import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { jsonResponse } from '../../lib/schemas';

const HealthSchema = z.object({ status: z.literal('ok') }).openapi('Health');

export const healthRoute = defineRoute('public', {
  method: 'get',
  path: '/health',
  operationId: 'getHealth',
  tags: ['System'],
  summary: 'Liveness: the Worker answers',
  responses: { 200: jsonResponse(HealthSchema, 'The Worker is alive') },
});

export const registerHealth = (app: GroupApp) => app.openapi(healthRoute, (c) => ok(c, { status: 'ok' as const }, 200));
