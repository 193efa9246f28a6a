import { describe, expect, it } from 'vitest';
import { ROUTE_GROUPS } from '../../workers/api/app';
import systemGroup from '../../workers/api/routes/system';
import { call } from '../helpers/harness';

type Operation = {
  operationId?: string;
  tags?: string[];
  summary?: string;
  security?: unknown[];
  responses: Record<string, unknown>;
};

/** Every route the groups actually serve, as `METHOD /openapi/{path}`. */
const servedRoutes = async () => {
  const apps = [
    systemGroup,
    ...(await Promise.all(
      [...new Set(ROUTE_GROUPS.map(([, load]) => load))].map(async (load) => (await load()).default),
    )),
  ];
  const routes = new Set<string>();
  for (const app of apps as unknown as { routes: { method: string; path: string }[] }[]) {
    for (const route of app.routes) {
      if (route.method === 'ALL' || route.path.endsWith('*')) continue;
      routes.add(`${route.method} ${route.path.replaceAll(/:(\w+)/g, '{$1}')}`);
    }
  }
  return routes;
};

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 and lists every served route with its contract', async () => {
    const res = await call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body as { openapi: string; paths: Record<string, Record<string, Operation>>; components: any };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });

    const documented = new Set<string>();
    const operationIds = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        documented.add(`${method.toUpperCase()} ${path}`);
        expect(op.operationId, `${method} ${path} operationId`).toMatch(/^[a-z][A-Za-z0-9]+$/);
        expect(operationIds.has(op.operationId!), `duplicate operationId ${op.operationId}`).toBe(false);
        operationIds.add(op.operationId!);
        expect(op.tags, `${method} ${path} tags`).toEqual([expect.stringMatching(/^[A-Z]/)]);
        expect(op.summary, `${method} ${path} summary`).toMatch(/^\S/);
        expect(op.responses['400'] ?? op.responses['500'], `${method} ${path} error responses`).toMatchObject({
          description: expect.any(String),
        });
        if (op.security && op.security.length > 0) {
          for (const status of ['401', '403', '429'])
            expect(op.responses[status], `${method} ${path} ${status}`).toMatchObject({
              description: expect.any(String),
            });
        }
      }
    }
    const served = await servedRoutes();
    expect(served.size).toBeGreaterThan(20);
    expect([...served].filter((route) => !documented.has(route))).toEqual([]);
    expect([...documented].filter((route) => !served.has(route))).toEqual([]);
  });

  it('every authenticated route declares the bearer scheme', async () => {
    const doc = (await call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, Operation>> };
    const publicPaths = new Set(['/health', '/ready', '/openapi.json', '/docs', '/.well-known/jwks.json']);
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const op of Object.values(methods)) {
        if (op.security?.length === 0 || op.security === undefined) {
          expect(
            publicPaths.has(path) ||
              path.startsWith('/api/v1/auth/') ||
              path.startsWith('/api/v1/invitations/') ||
              path.startsWith('/api/v1/dev/') ||
              // The chat widget's routes: anonymous visitors, checked by Origin and the bot's public key.
              path.startsWith('/widget/') ||
              // Stripe's events: verified by their signature.
              path === '/api/v1/webhooks/stripe' ||
              // A workflow's webhook trigger: proven by the workflow's own secret.
              path === '/api/v1/hooks/workflows/{id}',
            `${path} is public`,
          ).toBe(true);
        }
      }
    }
    expect(doc.paths['/api/v1/auth/me']?.get?.security).toEqual([{ bearerAuth: [] }]);
  });
});
