import { AppError } from '@flowspark/core';
import {
  countEndpoints,
  createEndpoint,
  deleteEndpoint,
  listDeliveries,
  listEndpoints,
  MAX_ENDPOINTS_PER_ORG,
  requireEndpoint,
  rotateEndpointSecret,
  updateEndpoint,
} from '@flowspark/webhooks';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { noContent, ok, paginated } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse, PageQuerySchema, paginatedResponse } from '../../lib/schemas';
import {
  CreateWebhookSchema,
  UpdateWebhookSchema,
  WebhookDeliverySchema,
  WebhookSchema,
  WebhookWithSecretSchema,
  webhookIdParams,
} from './schemas';
import { presentDelivery, presentWebhook, safeUrl } from './shared';

const TAGS = ['Webhooks'];
const SIGNING =
  'Each delivery is a POST of `{ id, type, created_at, data }`, signed Standard Webhooks style: `webhook-id`, ' +
  '`webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the secret’s ' +
  'bytes after `whsec_`. A 2xx answer within 10 s is a success; anything else (redirects included) is retried after ' +
  '30 s, 2 min, 10 min, 1 h and 6 h; 20 failed attempts in a row disable the endpoint.';

export const listWebhooksRoute = defineRoute(
  { scope: 'webhooks:read' },
  {
    method: 'get',
    path: '/webhooks',
    operationId: 'listWebhooks',
    tags: TAGS,
    summary: "The organization's webhook endpoints",
    request: { query: PageQuerySchema },
    responses: { 200: paginatedResponse(WebhookSchema, 'A page of endpoints') },
  },
);

export const createWebhookRoute = defineRoute(
  { scope: 'webhooks:write' },
  {
    method: 'post',
    path: '/webhooks',
    operationId: 'createWebhook',
    tags: TAGS,
    summary: 'Add a webhook endpoint (its signing secret is shown once)',
    description: `Owners and admins. Only https URLs on public hosts: http, localhost, loopback, private, link-local and metadata addresses (IPv4 and IPv6, also reached through a DNS name) are refused with 400. ${SIGNING}`,
    request: { body: jsonBody(CreateWebhookSchema) },
    responses: { 201: jsonResponse(WebhookWithSecretSchema, 'The endpoint and its secret'), ...errorResponses([409]) },
  },
);

export const getWebhookRoute = defineRoute(
  { scope: 'webhooks:read' },
  {
    method: 'get',
    path: '/webhooks/{id}',
    operationId: 'getWebhook',
    tags: TAGS,
    summary: 'Get a webhook endpoint',
    request: { params: webhookIdParams },
    responses: { 200: jsonResponse(WebhookSchema, 'The endpoint'), ...errorResponses([404]) },
  },
);

export const updateWebhookRoute = defineRoute(
  { scope: 'webhooks:write' },
  {
    method: 'put',
    path: '/webhooks/{id}',
    operationId: 'updateWebhook',
    tags: TAGS,
    summary: 'Change a webhook endpoint (its URL, events, or enable it again)',
    request: { params: webhookIdParams, body: jsonBody(UpdateWebhookSchema) },
    responses: { 200: jsonResponse(WebhookSchema, 'The endpoint'), ...errorResponses([404]) },
  },
);

export const deleteWebhookRoute = defineRoute(
  { scope: 'webhooks:write' },
  {
    method: 'delete',
    path: '/webhooks/{id}',
    operationId: 'deleteWebhook',
    tags: TAGS,
    summary: 'Delete a webhook endpoint and its delivery log',
    request: { params: webhookIdParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
  },
);

export const rotateWebhookSecretRoute = defineRoute(
  { scope: 'webhooks:write' },
  {
    method: 'post',
    path: '/webhooks/{id}/rotate-secret',
    operationId: 'rotateWebhookSecret',
    tags: TAGS,
    summary: 'A new signing secret (shown once; the old one stops at once)',
    request: { params: webhookIdParams },
    responses: {
      200: jsonResponse(WebhookWithSecretSchema, 'The endpoint and its new secret'),
      ...errorResponses([404]),
    },
  },
);

export const listWebhookDeliveriesRoute = defineRoute(
  { scope: 'webhooks:read' },
  {
    method: 'get',
    path: '/webhooks/{id}/deliveries',
    operationId: 'listWebhookDeliveries',
    tags: TAGS,
    summary: "An endpoint's delivery log, newest first",
    request: { params: webhookIdParams, query: PageQuerySchema },
    responses: { 200: paginatedResponse(WebhookDeliverySchema, 'A page of deliveries'), ...errorResponses([404]) },
  },
);

export const registerWebhookRoutes = (app: GroupApp) => {
  app.openapi(listWebhooksRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const page = c.req.valid('query');
    const { items, total } = await listEndpoints(db, actor.orgId, page);
    return paginated(c, items.map(presentWebhook), page, total);
  });
  app.openapi(createWebhookRoute, async (c) => {
    const body = c.req.valid('json');
    const { db, actor, env } = routeContext(c);
    const url = await safeUrl(body.url);
    if ((await countEndpoints(db, actor.orgId)) >= MAX_ENDPOINTS_PER_ORG) {
      throw new AppError('CONFLICT', `An organization has at most ${MAX_ENDPOINTS_PER_ORG} webhook endpoints`);
    }
    const { endpoint, secret } = await createEndpoint(db, env.ENCRYPTION_KEY, actor, { ...body, url });
    return ok(c, { ...presentWebhook(endpoint), secret }, 201);
  });
  app.openapi(getWebhookRoute, async (c) => {
    const { db, actor } = routeContext(c);
    return ok(c, presentWebhook(await requireEndpoint(db, actor.orgId, c.req.valid('param').id)), 200);
  });
  app.openapi(updateWebhookRoute, async (c) => {
    const body = c.req.valid('json');
    const { db, actor } = routeContext(c);
    const id = c.req.valid('param').id;
    await requireEndpoint(db, actor.orgId, id);
    const url = body.url === undefined ? undefined : await safeUrl(body.url);
    return ok(c, presentWebhook(await updateEndpoint(db, actor.orgId, id, { ...body, url })), 200);
  });
  app.openapi(deleteWebhookRoute, async (c) => {
    const { db, actor } = routeContext(c);
    await deleteEndpoint(db, actor.orgId, c.req.valid('param').id);
    return noContent(c);
  });
  app.openapi(rotateWebhookSecretRoute, async (c) => {
    const { db, actor, env } = routeContext(c);
    const { endpoint, secret } = await rotateEndpointSecret(
      db,
      env.ENCRYPTION_KEY,
      actor.orgId,
      c.req.valid('param').id,
    );
    return ok(c, { ...presentWebhook(endpoint), secret }, 200);
  });
  app.openapi(listWebhookDeliveriesRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const id = c.req.valid('param').id;
    await requireEndpoint(db, actor.orgId, id);
    const page = c.req.valid('query');
    const { items, total } = await listDeliveries(db, actor.orgId, id, page);
    return paginated(c, items.map(presentDelivery), page, total);
  });
};
