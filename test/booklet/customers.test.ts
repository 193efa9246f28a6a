import { describe, expect, it } from 'vitest';
import { createTenant, expectError, expectOk } from '../helpers/harness';

const CUSTOMERS = '/api/v1/customers';

describe('/customers', () => {
  it('creates, lists, changes and deletes customers; an external_id is unique in the organization', async () => {
    const tenant = await createTenant();
    const ada = expectOk(
      await tenant.as('POST', CUSTOMERS, {
        body: { name: 'Ada Lovelace', email: ' Ada@Example.com ', external_id: 'C-1' },
      }),
      201,
    ).body.data;
    expect(ada).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com', external_id: 'C-1' });
    expect(ada.id).toMatch(/^cst_[0-9a-f]{32}$/);
    expectError(await tenant.as('POST', CUSTOMERS, { body: { name: 'Copy', external_id: 'C-1' } }), 409, 'CONFLICT');
    const bob = expectOk(await tenant.as('POST', CUSTOMERS, { body: { name: 'Bob' } }), 201).body.data;
    const page = expectOk(await tenant.as('GET', `${CUSTOMERS}?page_size=1`)).body;
    expect(page.data.map((c: any) => c.id)).toEqual([bob.id]);
    expect(page.pagination.total).toBe(2);
    expectError(await tenant.as('PUT', `${CUSTOMERS}/${bob.id}`, { body: { external_id: 'C-1' } }), 409, 'CONFLICT');
    expect(
      expectOk(await tenant.as('PUT', `${CUSTOMERS}/${bob.id}`, { body: { name: 'Bob Stone' } })).body.data.name,
    ).toBe('Bob Stone');
    for (const body of [{}, { name: '' }, { name: 'x', email: 'nope' }, { name: 'x', extra: 1 }]) {
      expectError(await tenant.as('POST', CUSTOMERS, { body }), 400, 'VALIDATION_ERROR');
    }
    expect((await tenant.as('DELETE', `${CUSTOMERS}/${bob.id}`)).status).toBe(204);
    expectError(await tenant.as('GET', `${CUSTOMERS}/${bob.id}`), 404, 'NOT_FOUND');
  });

  it('attributes: one value per key and period, the latest period resolved; another organization gets 404', async () => {
    const tenant = await createTenant();
    const customer = expectOk(await tenant.as('POST', CUSTOMERS, { body: { name: 'Acme' } }), 201).body.data;
    const path = `${CUSTOMERS}/${customer.id}/attributes`;
    for (const body of [
      { key: 'revenue', value: 100, year: 2024, quarter: 4 },
      { key: 'revenue', value: '120', year: 2025, quarter: 1 },
      { key: 'revenue', value: '999', year: 2024, quarter: 4 },
      { key: 'city', value: 'Porto' },
      { key: 'vip', value: true },
    ]) {
      expectOk(await tenant.as('POST', path, { body }));
    }
    const listed = expectOk(await tenant.as('GET', path)).body.data;
    expect(listed.resolved).toEqual({ revenue: '120', city: 'Porto', vip: 'true' });
    expect(listed.attributes.map((a: any) => [a.key, a.value, a.year, a.quarter])).toEqual([
      ['city', 'Porto', null, null],
      ['revenue', '120', 2025, 1],
      ['revenue', '999', 2024, 4],
      ['vip', 'true', null, null],
    ]);
    for (const body of [
      { key: 'bad key', value: 'x' },
      { key: 'q', value: 'x', quarter: 2 },
      { key: 'q', value: 'x', year: 2024, quarter: 5 },
      { key: 'q' },
    ]) {
      expectError(await tenant.as('POST', path, { body }), 400, 'VALIDATION_ERROR');
    }
    const stranger = await createTenant();
    for (const [method, p, body] of [
      ['GET', `${CUSTOMERS}/${customer.id}`],
      ['PUT', `${CUSTOMERS}/${customer.id}`, { name: 'Taken' }],
      ['DELETE', `${CUSTOMERS}/${customer.id}`],
      ['GET', path],
      ['POST', path, { key: 'city', value: 'Lisbon' }],
    ] as const) {
      expectError(await stranger.as(method, p, { body }), 404, 'NOT_FOUND');
    }
    expect(expectOk(await tenant.as('GET', path)).body.data.resolved.city).toBe('Porto');
  });
});
