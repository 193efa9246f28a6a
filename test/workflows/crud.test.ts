import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, expectError, expectOk } from '../helpers/harness';
import { createWorkflow, EXECUTIONS, WORKFLOWS } from './helpers';

const STEPS = [
  { id: 'draft', type: 'llm', prompt: 'Write about {{input.topic}}' },
  { id: 'check', type: 'condition', if: 'len(steps.draft.output) > 10', on_false: 'end' },
  { id: 'tell', type: 'notify', title: 'Draft ready', body: '{{steps.draft.output}}' },
];

/** The validation errors of a create, as `field → messages`. */
const problems = async (body: Record<string, unknown>) => {
  const tenant = await createTenant();
  const res = expectError(
    await tenant.as('POST', WORKFLOWS, { body: { name: 'Bad', ...body } }),
    400,
    'VALIDATION_ERROR',
  );
  return res.body.error.details.fields as Record<string, string[]>;
};

describe('/workflows', () => {
  it('creates version 1, lists, reads, and every update writes the next version', async () => {
    const tenant = await createTenant();
    const created = await createWorkflow(tenant, {
      name: 'Digest',
      definition: { steps: STEPS },
      variables: [{ name: 'topic', type: 'string', required: true }],
    });
    expect(created).toMatchObject({
      name: 'Digest',
      enabled: true,
      version: 1,
      triggers: [{ type: 'manual' }],
      webhook: null,
      variables: [{ name: 'topic', type: 'string', required: true }],
    });
    expect(created.id).toMatch(/^wfl_[0-9a-f]{32}$/);
    expect(created.definition.steps.map((s: any) => s.id)).toEqual(['draft', 'check', 'tell']);

    const updated = expectOk(
      await tenant.as('PUT', `${WORKFLOWS}/${created.id}`, {
        body: { name: 'Digest v2', definition: { steps: STEPS.slice(0, 1) }, enabled: false },
      }),
    ).body.data;
    expect(updated).toMatchObject({ name: 'Digest v2', version: 2, enabled: false, variables: [] });
    expect(expectOk(await tenant.as('GET', `${WORKFLOWS}/${created.id}`)).body.data.version).toBe(2);

    const versions = expectOk(await tenant.as('GET', `${WORKFLOWS}/${created.id}/versions`)).body;
    expect(versions.data.map((v: any) => [v.version, v.definition.steps.length])).toEqual([
      [2, 1],
      [1, 3],
    ]);
    const first = expectOk(await tenant.as('GET', `${WORKFLOWS}/${created.id}/versions/1`)).body.data;
    expect(first.variables).toEqual([{ name: 'topic', type: 'string', required: true }]);
    expectError(await tenant.as('GET', `${WORKFLOWS}/${created.id}/versions/3`), 404, 'NOT_FOUND');

    const list = expectOk(await tenant.as('GET', WORKFLOWS)).body;
    expect(list.data.map((w: any) => [w.id, w.version])).toEqual([[created.id, 2]]);
    expect(list.pagination.total).toBe(1);

    // Disabled: a run is refused.
    const refused = expectError(
      await tenant.as('POST', `${WORKFLOWS}/${created.id}/run`, { body: {} }),
      409,
      'CONFLICT',
    );
    expect(refused.body.error.details.reason).toBe('WORKFLOW_DISABLED');

    expect((await tenant.as('DELETE', `${WORKFLOWS}/${created.id}`)).status).toBe(204);
    expectError(await tenant.as('GET', `${WORKFLOWS}/${created.id}`), 404, 'NOT_FOUND');
    expectError(await tenant.as('GET', `${WORKFLOWS}/${created.id}/versions`), 404, 'NOT_FOUND');
  });

  it('refuses an unknown step type, naming the step', async () => {
    const fields = await problems({
      definition: {
        steps: [
          { id: 'a', type: 'llm', prompt: 'x' },
          { id: 'b', type: 'teleport' },
        ],
      },
    });
    expect(fields['definition.steps.1.type']).toEqual([
      'Step "b": unknown step type "teleport" (use llm, kb_query, generate_document, http_request, condition, notify)',
    ]);
  });

  it('refuses references to later, missing or own steps, and undeclared inputs', async () => {
    const fields = await problems({
      variables: [{ name: 'topic' }],
      definition: {
        steps: [
          { id: 'a', type: 'llm', prompt: 'Use {{steps.b.output}} and {{input.colour}}' },
          { id: 'b', type: 'llm', prompt: '{{steps.ghost.output}} {{steps.b.output}}' },
        ],
      },
    });
    expect(fields['definition.steps.0']).toEqual([
      'Step "a" refers to steps.b.output, a later step: a step can use only the steps before it',
      'Step "a" refers to input.colour, which is not a declared variable (topic)',
    ]);
    expect(fields['definition.steps.1']).toEqual([
      'Step "b" refers to steps.ghost.output, but there is no step "ghost"',
      'Step "b" refers to its own output (steps.b.output)',
    ]);
  });

  it('refuses bad fields, syntax, jumps back, duplicate ids and bad cron schedules', async () => {
    const fields = await problems({
      definition: {
        steps: [
          { id: 'a', type: 'llm', prompt: 'Hello {{input.name' },
          { id: 'b', type: 'condition', if: 'steps.a.output ==', on_true: 'a' },
          { id: 'b', type: 'notify' },
          { id: 'd', type: 'http_request', url: 'http://api.example.com/x', method: 'FETCH' },
          { id: 'e', type: 'generate_document', format: 'docx', title: 'T' },
        ],
      },
      triggers: [{ type: 'cron', schedule: '61 * * * *' }],
    });
    expect(fields['definition.steps.0']?.[0]).toMatch(/^Step "a": /);
    expect(fields['definition.steps.1.if']?.[0]).toMatch(/^Step "b": /);
    expect(fields['definition.steps.2.id']).toEqual(['Step "b": the id is used twice']);
    expect(fields['definition.steps.2.title']?.[0]).toMatch(/^Step "b" \(notify\): /);
    expect(fields['definition.steps.3.method']?.[0]).toMatch(/^Step "d" \(http_request\): /);
    expect(fields['definition.steps.4']).toEqual([
      'Step "e" (generate_document): give a prompt, a template_id or both',
    ]);
    expect(fields['triggers.0.schedule']?.[0]).toMatch(/minute/i);

    const backwards = await problems({
      definition: {
        steps: [
          { id: 'a', type: 'llm', prompt: 'x' },
          { id: 'b', type: 'condition', if: 'true', on_true: 'a', on_false: 'nowhere' },
        ],
      },
    });
    expect(backwards['definition.steps.1.on_true']).toEqual([
      'Step "b": can only go to a later step or "end" (no loops)',
    ]);
    expect(backwards['definition.steps.1.on_false']).toEqual(['Step "b": there is no step "nowhere" to go to']);
    const plainHttp = await problems({
      definition: { steps: [{ id: 'call', type: 'http_request', url: 'http://api.example.com/x' }] },
    });
    expect(plainHttp['definition.steps.0.url']).toEqual(['Step "call" (http_request): the URL must be https']);
  });

  it('is tenant-isolated and needs the workflow scopes', async () => {
    const owner = await createTenant();
    const other = await createTenant();
    const workflow = await createWorkflow(owner, { definition: { steps: STEPS.slice(0, 1) } });
    const body = { name: 'x', definition: { steps: STEPS.slice(0, 1) } };
    expectError(await other.as('GET', `${WORKFLOWS}/${workflow.id}`), 404, 'NOT_FOUND');
    expectError(await other.as('PUT', `${WORKFLOWS}/${workflow.id}`, { body }), 404, 'NOT_FOUND');
    expectError(await other.as('DELETE', `${WORKFLOWS}/${workflow.id}`), 404, 'NOT_FOUND');
    expectError(await other.as('POST', `${WORKFLOWS}/${workflow.id}/run`, { body: {} }), 404, 'NOT_FOUND');
    expect(expectOk(await other.as('GET', WORKFLOWS)).body.data).toEqual([]);
    expectError(await call('GET', WORKFLOWS), 401, 'UNAUTHENTICATED');
    const viewer = await addMember(owner, 'viewer');
    expect(expectOk(await call('GET', WORKFLOWS, { token: viewer.accessToken })).body.data).toHaveLength(1);
    expectError(await call('POST', WORKFLOWS, { token: viewer.accessToken, body }), 403, 'INSUFFICIENT_SCOPE');
    expectError(
      await call('POST', `${WORKFLOWS}/${workflow.id}/run`, { token: viewer.accessToken, body: {} }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    expectError(await other.as('GET', `${EXECUTIONS}/exe_${'0'.repeat(32)}`), 404, 'NOT_FOUND');
  });
});
