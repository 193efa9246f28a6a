import { OpenAPIHono, z } from '@hono/zod-openapi';
import { ROUTE_GROUPS } from '../../app';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';

export const openapiRoute = defineRoute('public', {
  method: 'get',
  path: '/openapi.json',
  operationId: 'getOpenApiDocument',
  tags: ['System'],
  summary: 'This API as an OpenAPI 3.1 document',
  responses: {
    200: {
      description: 'OpenAPI 3.1 document',
      content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
    },
  },
});

let documentPromise: Promise<Record<string, unknown>> | undefined;

/** Built once per isolate, on the first request for it, from every group's route contracts. */
const buildDocument = async (system: GroupApp): Promise<Record<string, unknown>> => {
  const doc = new OpenAPIHono();
  doc.route('/', system);
  for (const loader of new Set(ROUTE_GROUPS.map(([, load]) => load))) {
    doc.route('/', (await loader()).default as unknown as OpenAPIHono);
  }
  doc.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An access token (JWT from /api/v1/auth/login) or an API key (`fsk_…`).',
  });
  return doc.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'FlowSpark Edge API',
      version: '1.0.0',
      description:
        'Multi-tenant AI platform API. Every response uses the envelope `{success, data | error, meta}`; ' +
        'lists add `pagination`. Authenticate with `Authorization: Bearer <access token or API key>`.',
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'System', description: 'Health, readiness, keys and docs' },
      { name: 'Auth', description: 'Registration, login, tokens, sessions, password' },
      { name: 'MFA', description: 'TOTP multi-factor authentication' },
      { name: 'SSO', description: 'Single sign-on with OpenID Connect, and organizations’ SSO settings' },
      { name: 'API keys', description: 'Keys for programs' },
      { name: 'Organizations', description: 'The current organization and its members' },
      { name: 'Invitations', description: 'Inviting people by email' },
      { name: 'Jobs', description: 'Long work: status, progress, cancellation, live feeds' },
      { name: 'Templates', description: 'Document templates with declared variables' },
      { name: 'Documents', description: 'Generated DOCX, PDF and XLSX documents with versions' },
      { name: 'Presentations', description: 'Generated PPTX slide decks' },
      { name: 'Images', description: 'Generated images' },
      { name: 'Chat', description: 'Chat bots, their conversations and messages (REST, SSE, WebSocket)' },
      { name: 'Widget', description: 'The embeddable chat widget’s public routes (no credentials)' },
      { name: 'Workflows', description: 'Versioned multi-step workflows, their triggers and durable executions' },
      { name: 'Agents', description: 'Plain requests routed to a document, a knowledge-base answer or an image' },
      { name: 'Summaries', description: 'Summaries of knowledge-base documents, with citations, and their templates' },
      { name: 'Integrations', description: 'Notion and Confluence connections (tokens stored encrypted)' },
      { name: 'AI cache', description: 'The organization’s semantic cache of LLM answers' },
      { name: 'Development', description: 'Local-only helpers (absent in production)' },
    ],
  }) as unknown as Record<string, unknown>;
};

export const registerOpenApi = (app: GroupApp) =>
  app.openapi(openapiRoute, async (c) => {
    documentPromise ??= buildDocument(app).catch((err) => {
      documentPromise = undefined;
      throw err;
    });
    return c.json(await documentPromise, 200);
  });
