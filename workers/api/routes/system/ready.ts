import { AppError } from '@flowspark/core';
import { z } from '@hono/zod-openapi';
import type { Env } from '../../../env';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';

const CheckSchema = z.enum(['ok', 'failed']);
const ReadySchema = z
  .object({ status: z.literal('ready'), checks: z.object({ d1: CheckSchema, r2: CheckSchema, queue: CheckSchema }) })
  .openapi('Ready');

export const readyRoute = defineRoute('public', {
  method: 'get',
  path: '/ready',
  operationId: 'getReady',
  tags: ['System'],
  summary: 'Readiness: D1, R2 and the jobs queue are reachable',
  responses: {
    200: jsonResponse(ReadySchema, 'Every binding answered'),
    ...errorResponses([503]),
  },
});

const check = async (probe: () => Promise<unknown>): Promise<'ok' | 'failed'> => {
  try {
    await probe();
    return 'ok';
  } catch {
    return 'failed';
  }
};

/** The three probes run in parallel; none writes anything. */
export const readiness = async (env: Env) => {
  const [d1, r2, queue] = await Promise.all([
    check(() => env.DB.prepare('SELECT 1').first()),
    check(() => env.FILES.head('__readiness_probe__')),
    check(async () => {
      if (typeof env.JOBS?.send !== 'function') throw new Error('queue binding missing');
    }),
  ]);
  return { d1, r2, queue };
};

export const registerReady = (app: GroupApp) =>
  app.openapi(readyRoute, async (c) => {
    const checks = await readiness(c.env);
    const failed = Object.entries(checks).filter(([, state]) => state === 'failed');
    if (failed.length > 0) {
      throw new AppError('SERVICE_UNAVAILABLE', 'A dependency is not reachable', { details: { checks } });
    }
    return ok(c, { status: 'ready' as const, checks }, 200);
  });
