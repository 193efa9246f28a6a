import { describe, expect, it } from 'vitest';
import { call, expectOk } from '../helpers/harness';

describe('jobs routes in the OpenAPI document', () => {
  it('documents every jobs route, including the WebSocket feed and its 101', async () => {
    const doc = expectOk(await call('GET', '/openapi.json')).body as {
      paths: Record<
        string,
        Record<string, { operationId: string; security?: unknown[]; responses: object; description?: string }>
      >;
      components: { schemas: Record<string, unknown> };
    };
    const expected: Array<[string, string, string]> = [
      ['/api/v1/jobs', 'get', 'listJobs'],
      ['/api/v1/jobs/{id}', 'get', 'getJob'],
      ['/api/v1/jobs/{id}/cancel', 'post', 'cancelJob'],
      ['/api/v1/jobs/{id}/events', 'get', 'streamJobEvents'],
      ['/api/v1/jobs/feed', 'get', 'openJobFeed'],
      ['/api/v1/jobs/feed/ticket', 'post', 'createJobFeedTicket'],
    ];
    for (const [path, method, operationId] of expected) {
      const operation = doc.paths[path]?.[method];
      expect(operation?.operationId, `${method} ${path}`).toBe(operationId);
      expect(operation?.security, `${method} ${path}`).toEqual([{ bearerAuth: [] }]);
    }
    const feed = doc.paths['/api/v1/jobs/feed']!.get!;
    expect(Object.keys(feed.responses)).toEqual(expect.arrayContaining(['101', '400', '401', '403', '426', '429']));
    expect(feed.description).toContain('flowspark.ticket.');
    expect(Object.keys(doc.paths['/api/v1/jobs/{id}/events']!.get!.responses)).toContain('200');
    for (const name of ['Job', 'JobEvent', 'JobFeedTicket', 'JobStatus']) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
  });
});
