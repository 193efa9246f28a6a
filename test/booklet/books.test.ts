import { describe, expect, it } from 'vitest';
import { expectError, expectOk } from '../helpers/harness';
import { addPage, BOOKS, createTenant, labelledPdf, makeForm, makeWorkbook, upload } from './helpers';

describe('/books', () => {
  it('creates, lists, changes and deletes books; pages are counted', async () => {
    const tenant = await createTenant();
    const book = expectOk(
      await tenant.as('POST', BOOKS, { body: { name: ' Annual pack ', description: 'For customers' } }),
      201,
    ).body.data;
    expect(book).toMatchObject({
      name: 'Annual pack',
      description: 'For customers',
      table_of_contents: false,
      page_count: 0,
    });
    expect(book.id).toMatch(/^bok_[0-9a-f]{32}$/);
    const pdf = await upload(tenant, await labelledPdf('Cover'), 'cover.pdf');
    await addPage(tenant, book.id, { type: 'static', order_index: 0, upload_id: pdf.id });
    const second = expectOk(await tenant.as('POST', BOOKS, { body: { name: 'Second' } }), 201).body.data;
    const listed = expectOk(await tenant.as('GET', `${BOOKS}?page_size=10`)).body;
    expect(listed.data.map((b: any) => [b.id, b.page_count])).toEqual([
      [second.id, 0],
      [book.id, 1],
    ]);
    expect(listed.pagination.total).toBe(2);
    const changed = expectOk(
      await tenant.as('PUT', `${BOOKS}/${book.id}`, { body: { table_of_contents: true, description: null } }),
    ).body.data;
    expect(changed).toMatchObject({ name: 'Annual pack', description: null, table_of_contents: true, page_count: 1 });
    for (const body of [{}, { name: '' }, { name: 'x', extra: true }, { name: 'x', table_of_contents: 'yes' }]) {
      expectError(await tenant.as('POST', BOOKS, { body }), 400, 'VALIDATION_ERROR');
    }
    expect((await tenant.as('DELETE', `${BOOKS}/${book.id}`)).status).toBe(204);
    expectError(await tenant.as('GET', `${BOOKS}/${book.id}`), 404, 'NOT_FOUND');
    expectError(await tenant.as('GET', `${BOOKS}/${book.id}/pages`), 404, 'NOT_FOUND');
  });

  it('pages: config checked against the type and the uploads, ordered by order_index, replaced and removed', async () => {
    const tenant = await createTenant();
    const book = expectOk(await tenant.as('POST', BOOKS, { body: { name: 'Pack' } }), 201).body.data;
    const terms = await upload(tenant, await labelledPdf('Terms', 3), 'terms.pdf');
    const form = await upload(tenant, await makeForm(), 'form.pdf');
    const workbook = await upload(tenant, await makeWorkbook(), 'figures.xlsx');
    const pages = `${BOOKS}/${book.id}/pages`;

    const late = await addPage(tenant, book.id, {
      type: 'static',
      order_index: 5,
      upload_id: terms.id,
      title: 'Terms',
      config: { pages: '2-3' },
    });
    expect(late).toMatchObject({ type: 'static', order_index: 5, title: 'Terms', upload_id: terms.id, conditions: [] });
    const early = await addPage(tenant, book.id, {
      type: 'pdf_form',
      order_index: 1,
      upload_id: form.id,
      config: { field_map: { customer_name: 'name', consent: 'consent' } },
    });
    expect(early.config).toEqual({ field_map: { customer_name: 'name', consent: 'consent' }, on_missing: 'blank' });
    const sheet = await addPage(tenant, book.id, {
      type: 'excel',
      order_index: 3,
      upload_id: workbook.id,
      config: { sheet: 'Notes', range: 'A1:B2' },
    });
    expect(sheet.config).toEqual({ sheet: 'Notes', range: 'A1:B2', header: true });
    const listed = expectOk(await tenant.as('GET', pages)).body;
    expect(listed.data.map((p: any) => p.id)).toEqual([early.id, sheet.id, late.id]);
    expect(listed.pagination).toMatchObject({ total: 3, page: 1 });

    const bad: [Record<string, unknown>, string][] = [
      [{ type: 'static', order_index: 0, upload_id: terms.id, config: { pages: '2-4' } }, 'config.pages'],
      [{ type: 'static', order_index: 0, upload_id: terms.id, config: { pages: 'two' } }, 'config.pages'],
      [{ type: 'static', order_index: 0, upload_id: workbook.id }, 'upload_id'],
      [{ type: 'static', order_index: 0, upload_id: 'upl_00000000000000000000000000000000' }, 'upload_id'],
      [{ type: 'static', order_index: 0 }, 'upload_id'],
      [
        { type: 'pdf_form', order_index: 0, upload_id: form.id, config: { field_map: { nope: 'name' } } },
        'config.field_map.nope',
      ],
      [{ type: 'pdf_form', order_index: 0, upload_id: terms.id, config: { field_map: { a: 'b' } } }, 'upload_id'],
      [{ type: 'pdf_form', order_index: 0, upload_id: form.id, config: { field_map: {} } }, 'config.field_map'],
      [{ type: 'excel', order_index: 0, upload_id: workbook.id, config: { sheet: 'Missing' } }, 'config.sheet'],
      [{ type: 'excel', order_index: 0, upload_id: terms.id, config: { sheet: 'Sales' } }, 'upload_id'],
      [{ type: 'excel', order_index: 0, config: { sheet: 'Sales', range: 'A1-B2' } }, 'config.range'],
      [{ type: 'choosable', order_index: 0, config: {} }, 'config.fallback'],
      // Strict bodies: a field the type does not take is refused as such.
      [{ type: 'choosable', order_index: 0, upload_id: terms.id, config: { fallback: 'skip' } }, '(body)'],
      [
        {
          type: 'choosable',
          order_index: 0,
          config: { fallback: 'skip' },
          conditions: [{ attribute_key: 'tier', attribute_value: 'gold', target_upload_id: workbook.id }],
        },
        'conditions.0.target_upload_id',
      ],
      [{ type: 'cover', order_index: 0, config: {} }, 'type'],
      [{ type: 'static', order_index: -1, upload_id: terms.id }, 'order_index'],
    ];
    for (const [body, field] of bad) {
      const error = expectError(await tenant.as('POST', pages, { body }), 400, 'VALIDATION_ERROR').body.error;
      expect(Object.keys(error.details.fields), JSON.stringify(body)).toContain(field);
    }
    const unknownField = expectError(
      await tenant.as('POST', pages, {
        body: { type: 'pdf_form', order_index: 0, upload_id: form.id, config: { field_map: { nope: 'name' } } },
      }),
      400,
      'VALIDATION_ERROR',
    ).body.error;
    expect(unknownField.message).toBe('The form has no field "nope"');

    const replaced = expectOk(
      await tenant.as('PUT', `${pages}/${late.id}`, {
        body: { type: 'static', order_index: 0, upload_id: terms.id },
      }),
    ).body.data;
    expect(replaced).toMatchObject({ order_index: 0, title: null, config: {} });
    expect(expectOk(await tenant.as('GET', pages)).body.data[0].id).toBe(late.id);
    expect(expectOk(await tenant.as('GET', `${pages}/${late.id}`)).body.data).toEqual(replaced);
    expect((await tenant.as('DELETE', `${pages}/${late.id}`)).status).toBe(204);
    expectError(await tenant.as('GET', `${pages}/${late.id}`), 404, 'NOT_FOUND');
    expect(expectOk(await tenant.as('GET', `${BOOKS}/${book.id}`)).body.data.page_count).toBe(2);
  });

  it('choosable pages: conditions in order, replaced or added at /conditions; only choosable pages have them', async () => {
    const tenant = await createTenant();
    const book = expectOk(await tenant.as('POST', BOOKS, { body: { name: 'Offers' } }), 201).body.data;
    const gold = await upload(tenant, await labelledPdf('Gold'), 'gold.pdf');
    const silver = await upload(tenant, await labelledPdf('Silver'), 'silver.pdf');
    const page = await addPage(tenant, book.id, {
      type: 'choosable',
      order_index: 0,
      config: { fallback: 'error' },
      conditions: [{ attribute_key: 'tier', attribute_value: 'gold', target_upload_id: gold.id }],
    });
    expect(page.conditions).toEqual([
      {
        id: expect.stringMatching(/^bpc_/),
        position: 0,
        attribute_key: 'tier',
        attribute_value: 'gold',
        target_upload_id: gold.id,
      },
    ]);
    const path = `${BOOKS}/${book.id}/pages/${page.id}/conditions`;
    const added = expectOk(
      await tenant.as('POST', path, {
        body: { attribute_key: 'tier', attribute_value: 2, target_upload_id: silver.id },
      }),
      201,
    ).body.data.conditions;
    expect(added.map((c: any) => [c.position, c.attribute_value, c.target_upload_id])).toEqual([
      [0, 'gold', gold.id],
      [1, '2', silver.id],
    ]);
    const replaced = expectOk(
      await tenant.as('PUT', path, {
        body: { conditions: [{ attribute_key: 'plan', attribute_value: 'pro', target_upload_id: silver.id }] },
      }),
    ).body.data.conditions;
    expect(replaced.map((c: any) => c.attribute_key)).toEqual(['plan']);
    expect(expectOk(await tenant.as('GET', path)).body.data.conditions).toEqual(replaced);
    // A change of config without conditions keeps them.
    const kept = expectOk(
      await tenant.as('PUT', `${BOOKS}/${book.id}/pages/${page.id}`, {
        body: { type: 'choosable', order_index: 2, config: { fallback: 'skip' } },
      }),
    ).body.data;
    expect(kept.conditions).toEqual(replaced);
    expectError(
      await tenant.as('PUT', path, {
        body: { conditions: [{ attribute_key: 'bad key', attribute_value: 'x', target_upload_id: silver.id }] },
      }),
      400,
      'VALIDATION_ERROR',
    );
    const other = await createTenant();
    const theirs = await upload(other, await labelledPdf('Theirs'), 'theirs.pdf');
    expectError(
      await tenant.as('PUT', path, {
        body: { conditions: [{ attribute_key: 'tier', attribute_value: 'x', target_upload_id: theirs.id }] },
      }),
      400,
      'VALIDATION_ERROR',
    );
    // Turning the page static drops its conditions; a static page has none to edit.
    const made = expectOk(
      await tenant.as('PUT', `${BOOKS}/${book.id}/pages/${page.id}`, {
        body: { type: 'static', order_index: 2, upload_id: gold.id },
      }),
    ).body.data;
    expect(made.conditions).toEqual([]);
    expectError(await tenant.as('PUT', path, { body: { conditions: [] } }), 400, 'VALIDATION_ERROR');
  });

  it("another organization's books, pages and conditions are 404", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const book = expectOk(await tenant.as('POST', BOOKS, { body: { name: 'Mine' } }), 201).body.data;
    const gold = await upload(tenant, await labelledPdf('Gold'), 'gold.pdf');
    const page = await addPage(tenant, book.id, {
      type: 'choosable',
      order_index: 0,
      config: { fallback: 'skip' },
      conditions: [{ attribute_key: 'tier', attribute_value: 'gold', target_upload_id: gold.id }],
    });
    const base = `${BOOKS}/${book.id}`;
    for (const [method, path, body] of [
      ['GET', base],
      ['PUT', base, { name: 'Theirs' }],
      ['DELETE', base],
      ['GET', `${base}/pages`],
      ['POST', `${base}/pages`, { type: 'choosable', order_index: 0, config: { fallback: 'skip' } }],
      ['GET', `${base}/pages/${page.id}`],
      ['PUT', `${base}/pages/${page.id}`, { type: 'choosable', order_index: 0, config: { fallback: 'skip' } }],
      ['DELETE', `${base}/pages/${page.id}`],
      ['GET', `${base}/pages/${page.id}/conditions`],
      ['PUT', `${base}/pages/${page.id}/conditions`, { conditions: [] }],
    ] as [string, string, Record<string, unknown>?][]) {
      expectError(await other.as(method, path, body ? { body } : {}), 404, 'NOT_FOUND');
    }
    // The page of another book of the same organization is not reached through this one.
    const second = expectOk(await tenant.as('POST', BOOKS, { body: { name: 'Second' } }), 201).body.data;
    expectError(await tenant.as('GET', `${BOOKS}/${second.id}/pages/${page.id}`), 404, 'NOT_FOUND');
    expect(expectOk(await tenant.as('GET', `${base}/pages/${page.id}`)).body.data.conditions).toHaveLength(1);
  });
});
