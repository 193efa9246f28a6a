import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, env, expectOk } from '../helpers/harness';
import { deliver, messageFor, readJob } from '../jobs/helpers';
import { decodePng, download, generate, IMAGES, imageObjects, readImage, runJob } from './helpers';

const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());

describe('POST /images/generate → job → download', () => {
  it('generates a PNG of the requested size, stored under the tenant, downloadable', async () => {
    const tenant = await createTenant();
    const prompt = 'A red fox in fresh snow, watercolour';
    const data = await generate(tenant, { prompt, negative_prompt: 'blurry', width: 384, height: 256, seed: 7 });
    expect(data).toMatchObject({
      prompt,
      negative_prompt: 'blurry',
      width: 384,
      height: 256,
      status: 'pending',
      file_size_bytes: 0,
      content_type: null,
      model_used: null,
      download_url: null,
      error_code: null,
    });
    expect(data.id).toMatch(/^img_[0-9a-f]{32}$/);
    expect(data.job_id).toMatch(/^job_[0-9a-f]{32}$/);
    const job = await readJob(data.job_id);
    expect(job).toMatchObject({ type: 'image.generate', resource_type: 'image', resource_id: data.id });
    expect(JSON.parse(job.input)).toEqual({ seed: 7, reservation_id: expect.stringMatching(/^rsv_[0-9a-f]{32}$/) });

    const ended = await runJob({ id: data.job_id, orgId: tenant.orgId });
    expect(ended).toMatchObject({ status: 'done', progress: 100, error_code: null });
    expect(JSON.parse(ended.result)).toMatchObject({ image_id: data.id, content_type: 'image/png', width: 384 });

    const got = expectOk(await tenant.as('GET', `${IMAGES}/${data.id}`)).body.data;
    expect(got).toMatchObject({
      id: data.id,
      status: 'completed',
      width: 384,
      height: 256,
      content_type: 'image/png',
      model_used: 'local-png-v1',
      job_id: data.job_id,
      download_url: `${IMAGES}/${data.id}/download`,
    });
    expect(got.file_size_bytes).toBeGreaterThan(100);
    expect(got.generation_time_ms).toBeGreaterThanOrEqual(0);

    const objects = await imageObjects(tenant.orgId);
    expect(objects.map((o) => o.key)).toEqual([`tenants/${tenant.orgId}/images/${data.id}/v1.png`]);
    expect(objects[0]!.size).toBe(got.file_size_bytes);

    const res = await download(tenant.accessToken, data.id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-length')).toBe(String(got.file_size_bytes));
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="a-red-fox-in-fresh-snow-watercolour.png"; filename*=UTF-8''a-red-fox-in-fresh-snow-watercolour.png`,
    );
    expect(res.headers.get('etag')).toBe(objects[0]!.httpEtag);
    expect(res.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    const png = await decodePng(await bytesOf(res));
    expect(png).toMatchObject({ width: 384, height: 256, bitDepth: 8, colorType: 2 });
    // Not a blank canvas: the label and bands draw several colours.
    const colours = new Set<number>();
    for (let i = 1; i < png.raw.length; i += 3 * 7) colours.add((png.raw[i]! << 16) | (png.raw[i + 1]! << 8));
    expect(colours.size).toBeGreaterThan(2);

    // Conditional GET with the ETag: nothing to send again.
    const again = await download(tenant.accessToken, data.id, { 'if-none-match': res.headers.get('etag')! });
    expect(again.status).toBe(304);
    expect(await again.arrayBuffer()).toHaveProperty('byteLength', 0);
  });

  it('the local provider is deterministic: same prompt and size, same bytes; another prompt differs', async () => {
    const tenant = await createTenant();
    const ids = [];
    for (const prompt of ['Mountain lake at dusk', 'Mountain lake at dusk', 'Desert road at noon']) {
      const data = await generate(tenant, { prompt, width: 256, height: 320 });
      await runJob({ id: data.job_id, orgId: tenant.orgId });
      ids.push(data.id as string);
    }
    const files = await Promise.all(ids.map(async (id) => bytesOf(await download(tenant.accessToken, id))));
    expect(files[0]).toEqual(files[1]);
    expect(files[0]).not.toEqual(files[2]);
    for (const file of files) expect(await decodePng(file)).toMatchObject({ width: 256, height: 320 });
  });

  it('defaults to 1024×1024', async () => {
    const tenant = await createTenant();
    const data = await generate(tenant, { prompt: 'Default size' });
    expect(data).toMatchObject({ width: 1024, height: 1024 });
    await runJob({ id: data.job_id, orgId: tenant.orgId });
    const png = await decodePng(await bytesOf(await download(tenant.apiKey, data.id)));
    expect(png).toMatchObject({ width: 1024, height: 1024 });
  });

  it('a redelivered message after completion changes nothing: one object, the same row', async () => {
    const tenant = await createTenant();
    const data = await generate(tenant, { prompt: 'Redelivered', width: 256, height: 256 });
    await runJob({ id: data.job_id, orgId: tenant.orgId });
    const image = await readImage(data.id);
    const [object] = await imageObjects(tenant.orgId);
    const job = await readJob(data.job_id);

    expect(await deliver(messageFor({ id: data.job_id, orgId: tenant.orgId }), { attempts: 2 })).toMatchObject({
      acked: true,
      retried: false,
    });
    expect(await readImage(data.id)).toEqual(image);
    expect(await readJob(data.job_id)).toEqual(job);
    const objects = await imageObjects(tenant.orgId);
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({ key: object!.key, etag: object!.etag, uploaded: object!.uploaded });
  });

  it('a rerun whose image was already committed (the job completion was lost) does not generate again', async () => {
    const tenant = await createTenant();
    const data = await generate(tenant, { prompt: 'Committed once', width: 256, height: 256 });
    await runJob({ id: data.job_id, orgId: tenant.orgId });
    const image = await readImage(data.id);
    const [object] = await imageObjects(tenant.orgId);
    // As if the delivery died between writing the image and marking the job done.
    await env.DB.prepare("UPDATE jobs SET status = 'running', lease_until = NULL WHERE id = ?").bind(data.job_id).run();

    expect(await runJob({ id: data.job_id, orgId: tenant.orgId })).toMatchObject({ status: 'done', attempts: 2 });
    expect(await readImage(data.id)).toEqual(image);
    const objects = await imageObjects(tenant.orgId);
    expect(objects).toHaveLength(1);
    expect(objects[0]!.uploaded).toEqual(object!.uploaded);
  });

  it('an Idempotency-Key replay returns the same image and creates no second one', async () => {
    const tenant = await createTenant();
    const headers = { 'idempotency-key': `img-${crypto.randomUUID()}` };
    const body = { prompt: 'Once only', width: 256, height: 256 };
    const first = expectOk(await tenant.as('POST', `${IMAGES}/generate`, { body, headers }), 202);
    const second = expectOk(await tenant.as('POST', `${IMAGES}/generate`, { body, headers }), 202);
    expect(second.body.data.id).toBe(first.body.data.id);
    expect(second.body.data.job_id).toBe(first.body.data.job_id);
    const list = expectOk(await tenant.as('GET', IMAGES)).body;
    expect(list.pagination.total).toBe(1);
  });
});

describe('POST /images/generate: validation and access', () => {
  const invalid: Array<[string, unknown, string]> = [
    ['width not a multiple of 64', { prompt: 'x', width: 1000 }, 'width'],
    ['width too large', { prompt: 'x', width: 4096 }, 'width'],
    ['height too small', { prompt: 'x', height: 128 }, 'height'],
    ['width not an integer', { prompt: 'x', width: 512.5 }, 'width'],
    ['width as a string', { prompt: 'x', width: '512' }, 'width'],
    ['empty prompt', { prompt: '' }, 'prompt'],
    ['blank prompt', { prompt: '   ' }, 'prompt'],
    ['prompt too long', { prompt: 'p'.repeat(2001) }, 'prompt'],
    ['missing prompt', { width: 512 }, 'prompt'],
    ['negative prompt too long', { prompt: 'x', negative_prompt: 'n'.repeat(2001) }, 'negative_prompt'],
    ['negative seed', { prompt: 'x', seed: -1 }, 'seed'],
    ['fractional seed', { prompt: 'x', seed: 1.5 }, 'seed'],
    ['unknown field', { prompt: 'x', steps: 4 }, '(body)'],
  ];

  it.each(invalid)('%s → 400 VALIDATION_ERROR naming the field, nothing created', async (_name, body, field) => {
    const tenant = await createTenant();
    const res = await tenant.as('POST', `${IMAGES}/generate`, { body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(Object.keys(res.body.error.details.fields)).toContain(field);
    if (field === '(body)') expect(res.body.error.details.fields['(body)'][0]).toContain('steps');
    expect(expectOk(await tenant.as('GET', IMAGES)).body.pagination.total).toBe(0);
  });

  it('accepts the limits: 2,000-character prompt, 256 and 2048 sides', async () => {
    const tenant = await createTenant();
    const data = await generate(tenant, { prompt: 'p'.repeat(2000), width: 2048, height: 256, seed: 0 });
    expect(data).toMatchObject({ width: 2048, height: 256, status: 'pending' });
  });

  it('malformed JSON and a missing body are 400', async () => {
    const tenant = await createTenant();
    const broken = await tenant.as('POST', `${IMAGES}/generate`, {
      rawBody: '{"prompt": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('MALFORMED_JSON');
    const empty = await tenant.as('POST', `${IMAGES}/generate`, { headers: { 'content-type': 'application/json' } });
    expect(empty.status).toBe(400);
  });

  it('needs authentication', async () => {
    const res = await call('POST', `${IMAGES}/generate`, { body: { prompt: 'x' } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('a viewer, or a key without images:write, cannot generate (403); both can read', async () => {
    const tenant = await createTenant();
    const viewer = await addMember(tenant, 'viewer');
    const res = await call('POST', `${IMAGES}/generate`, { token: viewer.accessToken, body: { prompt: 'x' } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('INSUFFICIENT_SCOPE');
    const key = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'read only', scopes: ['images:read'] } }),
      201,
    ).body.data.key as string;
    const byKey = await call('POST', `${IMAGES}/generate`, { token: key, body: { prompt: 'x' } });
    expect(byKey.status).toBe(403);
    expect(byKey.body.error.code).toBe('INSUFFICIENT_SCOPE');
    expect(expectOk(await tenant.as('GET', IMAGES)).body.pagination.total).toBe(0);
    expectOk(await call('GET', IMAGES, { token: viewer.accessToken }));
    expectOk(await call('GET', IMAGES, { token: key }));

    const member = await addMember(tenant, 'member');
    expectOk(await call('POST', `${IMAGES}/generate`, { token: member.accessToken, body: { prompt: 'x' } }), 202);
  });
});
