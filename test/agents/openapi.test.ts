import { describe, expect, it } from 'vitest';
import { call, expectOk } from '../helpers/harness';

type Operation = {
  operationId: string;
  tags: string[];
  summary?: string;
  description?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, { examples?: Record<string, unknown> }> };
  responses: Record<string, unknown>;
};

const ROUTES: Array<[string, string, string, string[]]> = [
  ['/api/v1/agents/run', 'post', 'runAgent', ['202', '400', '401', '402', '403', '429', '503']],
  ['/api/v1/agents/runs', 'get', 'listAgentRuns', ['200', '400', '401', '403']],
  ['/api/v1/agents/runs/{id}', 'get', 'getAgentRun', ['200', '401', '403', '404']],
];

describe('the agent routes in the OpenAPI document', () => {
  it('each with its operationId, tag, summary, description, bearer security and statuses', async () => {
    const doc = expectOk(await call('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, Operation>>;
      components: {
        schemas: Record<
          string,
          { properties?: Record<string, unknown>; additionalProperties?: boolean; required?: string[] }
        >;
      };
    };
    for (const [path, method, operationId, statuses] of ROUTES) {
      const operation = doc.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toMatchObject({
        operationId,
        tags: ['Agents'],
        security: [{ bearerAuth: [] }],
      });
      expect(operation!.summary, operationId).toBeTruthy();
      expect(operation!.description, operationId).toBeTruthy();
      expect(Object.keys(operation!.responses)).toEqual(expect.arrayContaining(statuses));
    }
    const examples = doc.paths['/api/v1/agents/run']!.post!.requestBody!.content['application/json']!.examples;
    expect(Object.keys(examples ?? {})).toEqual(['report', 'lookup', 'image']);

    const { schemas } = doc.components;
    expect(Object.keys(schemas.AgentRunRequest!.properties!).sort()).toEqual(['request', 'route']);
    expect(schemas.AgentRunRequest!.required).toEqual(['request']);
    expect(schemas.AgentRunRequest!.additionalProperties).toBe(false);
    expect(Object.keys(schemas.AgentRunDetail!.properties!)).toEqual(
      expect.arrayContaining([
        'route',
        'routed_by',
        'current_step',
        'completed_steps',
        'errors',
        'retry_count',
        'result',
        'tokens_used',
        'ai_requests',
      ]),
    );
    for (const name of ['AgentRun', 'AgentDocumentResult', 'AgentImageResult', 'AgentKbResult', 'AgentAiRequest']) {
      expect(schemas, name).toHaveProperty(name);
    }
  });
});
