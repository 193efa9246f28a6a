import { AppError, errorBody, isValidRequestId, logger, newId } from '@flowspark/core';
import type { Env } from '../env';

/**
 * The API's front door. Route groups are loaded on their first request, so an isolate starts
 * without building any schema, and a cold request pays only for the group it needs.
 */
type FetchHandler = { fetch: (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response> };
type GroupLoader = () => Promise<{ default: FetchHandler }>;

const chat: GroupLoader = () => import('./routes/chat');
const workflows: GroupLoader = () => import('./routes/workflows');
const summaries: GroupLoader = () => import('./routes/summaries');

export const ROUTE_GROUPS: ReadonlyArray<readonly [prefix: string, load: GroupLoader]> = [
  ['/api/v1/auth', () => import('./routes/auth')],
  ['/api/v1/api-keys', () => import('./routes/api-keys')],
  ['/api/v1/organizations', () => import('./routes/organizations')],
  ['/api/v1/invitations', () => import('./routes/organizations')],
  ['/api/v1/dev', () => import('./routes/dev')],
  ['/api/v1/jobs', () => import('./routes/jobs')],
  ['/api/v1/templates', () => import('./routes/templates')],
  ['/api/v1/documents', () => import('./routes/documents')],
  ['/api/v1/presentations', () => import('./routes/presentations')],
  ['/api/v1/images', () => import('./routes/images')],
  ['/api/v1/kb', () => import('./routes/kb')],
  ['/api/v1/billing', () => import('./routes/billing')],
  ['/api/v1/webhooks/stripe', () => import('./routes/stripe')],
  ['/api/v1/webhooks', () => import('./routes/webhooks')],
  ['/api/v1/notifications', () => import('./routes/notifications')],
  ['/api/v1/uploads', () => import('./routes/uploads')],
  ['/api/v1/customers', () => import('./routes/customers')],
  ['/api/v1/books', () => import('./routes/books')],
  ['/api/v1/downloads', () => import('./routes/downloads')],
  ['/api/v1/analytics', () => import('./routes/analytics')],
  ['/api/v1/workflows', workflows],
  ['/api/v1/executions', workflows],
  ['/api/v1/hooks', workflows],
  ['/api/v1/agents', () => import('./routes/agents')],
  ['/api/v1/ai', () => import('./routes/ai-cache')],
  ['/api/v1/summaries', summaries],
  ['/api/v1/summary-templates', summaries],
  ['/api/v1/integrations', () => import('./routes/integrations')],
  ['/widget', () => import('./routes/widget')],
  ['/api/v1/bots', chat],
  ['/api/v1/conversations', chat],
];

const loadSystem: GroupLoader = () => import('./routes/system');

const loaded = new Map<GroupLoader, Promise<{ default: FetchHandler }>>();

const load = (loader: GroupLoader) => {
  let promise = loaded.get(loader);
  if (!promise) {
    promise = loader();
    loaded.set(loader, promise);
    promise.catch(() => loaded.delete(loader));
  }
  return promise;
};

export const groupFor = (pathname: string): GroupLoader => {
  for (const [prefix, loader] of ROUTE_GROUPS) {
    if (pathname === prefix || pathname.startsWith(`${prefix}/`)) return loader;
  }
  return loadSystem;
};

export const handleFetch = async (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => {
  try {
    const group = await load(groupFor(new URL(request.url).pathname));
    return await group.default.fetch(request, env, ctx);
  } catch (err) {
    // Only a group that failed to load gets here; errors inside a group become its own envelope.
    const incoming = request.headers.get('x-request-id');
    const requestId = isValidRequestId(incoming) ? incoming : newId('req');
    logger.error('route group failed', { request_id: requestId, error_message: String(err) });
    const failure = new AppError('INTERNAL_ERROR', 'Internal server error');
    return Response.json(errorBody(failure.code, failure.message, requestId), {
      status: failure.status,
      headers: { 'X-Request-Id': requestId },
    });
  }
};
