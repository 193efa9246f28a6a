import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, expectOk, pagination } from '../helpers/harness';
import { readJob, sleep } from '../jobs/helpers';
import { download, generate, IMAGES, imageObjects, pendingImage, readImage, runJob } from './helpers';

const FIELDS = [
  'id',
  'prompt',
  'negative_prompt',
  'width',
  'height',
  'status',
  'file_size_bytes',
  'content_type',
  'model_used',
  'generation_time_ms',
  'error_code',
  'error_message',
  'job_id',
  'created_at',
  'updated_at',
  'download_url',
].sort();

describe('GET /images', () => {
  it('lists the tenant’s images newest first, paginated, filtered by status', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    await pendingImage(other, { prompt: 'Not yours' });
    // Distinct creation times: the order under test is by time, not by the random ids.
    const first = await pendingImage(tenant, { prompt: 'First', width: 256, height: 256 });
    await sleep(5);
    const second = await pendingImage(tenant, { prompt: 'Second', width: 256, height: 256 });
    await sleep(5);
    const third = await generate(tenant, { prompt: 'Third', width: 256, height: 256 });
    await runJob({ id: third.job_id, orgId: tenant.orgId });

    const page1 = expectOk(await tenant.as('GET', `${IMAGES}?page_size=2`)).body;
    expect(page1.data.map((i: { id: string }) => i.id)).toEqual([third.id, second.image.id]);
    expect(page1.pagination).toEqual(pagination(3, 1, 2));
    expect(Object.keys(page1.data[0]).sort()).toEqual(FIELDS);
    expect(page1.data[0]).toMatchObject({ status: 'completed', download_url: expect.stringContaining(third.id) });
    const page2 = expectOk(await tenant.as('GET', `${IMAGES}?page_size=2&page=2`)).body;
    expect(page2.data.map((i: { id: string }) => i.id)).toEqual([first.image.id]);

    const completed = expectOk(await tenant.as('GET', `${IMAGES}?status=completed`)).body;
    expect(completed.data.map((i: { id: string }) => i.id)).toEqual([third.id]);
    const pending = expectOk(await tenant.as('GET', `${IMAGES}?status=pending`)).body;
    expect(pending.data.map((i: { id: string }) => i.id)).toEqual([second.image.id, first.image.id]);
    expect(pending.data[0]).toMatchObject({ download_url: null, file_size_bytes: 0 });
  });

  it('rejects bad query parameters and needs authentication', async () => {
    const tenant = await createTenant();
    for (const query of ['status=done', 'page=0', 'page_size=101', 'unknown=1']) {
      const res = await tenant.as('GET', `${IMAGES}?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    expect((await call('GET', IMAGES)).status).toBe(401);
  });
});

describe('GET /images/{id}', () => {
  it('shows the image; unknown, malformed and another tenant’s ids are 404 / 400', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const { image, job } = await pendingImage(tenant, { prompt: 'Mine', negative_prompt: 'fog', seed: 3 });
    const data = expectOk(await tenant.as('GET', `${IMAGES}/${image.id}`)).body.data;
    expect(Object.keys(data).sort()).toEqual(FIELDS);
    expect(data).toMatchObject({
      id: image.id,
      prompt: 'Mine',
      negative_prompt: 'fog',
      width: 1024,
      height: 1024,
      status: 'pending',
      job_id: job.id,
      download_url: null,
    });

    const foreign = await other.as('GET', `${IMAGES}/${image.id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('NOT_FOUND');
    expect((await tenant.as('GET', `${IMAGES}/img_${'0'.repeat(32)}`)).status).toBe(404);
    expect((await tenant.as('GET', `${IMAGES}/not-an-id`)).status).toBe(400);
    expect((await call('GET', `${IMAGES}/${image.id}`)).status).toBe(401);
  });
});

describe('GET /images/{id}/download', () => {
  it('is 409 until the image is completed', async () => {
    const tenant = await createTenant();
    const { image } = await pendingImage(tenant, { prompt: 'Not yet' });
    const res = await download(tenant.accessToken, image.id);
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: { code: string; details: { status: string } } };
    expect(body.error).toMatchObject({ code: 'CONFLICT', details: { status: 'pending' } });
  });

  it('another tenant gets 404; a viewer of the tenant may download; no auth is 401', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const data = await generate(tenant, { prompt: 'Private picture', width: 256, height: 256 });
    await runJob({ id: data.job_id, orgId: tenant.orgId });
    const foreign = await download(other.accessToken, data.id);
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    const viewer = await addMember(tenant, 'viewer');
    expect((await download(viewer.accessToken, data.id)).status).toBe(200);
    expect((await call('GET', `${IMAGES}/${data.id}/download`)).status).toBe(401);
  });

  it('names the file from the prompt, sanitised, keeping non-ASCII letters in filename*', async () => {
    const tenant = await createTenant();
    const data = await generate(tenant, {
      prompt: '  Crème brûlée / "on" a ../../plate; 日本 !!  and more words beyond eight here',
      width: 256,
      height: 256,
    });
    await runJob({ id: data.job_id, orgId: tenant.orgId });
    const res = await download(tenant.accessToken, data.id);
    const name = 'crème-brûlée-on-a-plate-日本-and-more.png';
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="creme-brulee-on-a-plate--and-more.png"; filename*=UTF-8''${encodeURIComponent(name)}`,
    );
  });
});

describe('DELETE /images/{id}', () => {
  it('deletes the row and its R2 object; the image is then 404', async () => {
    const tenant = await createTenant();
    const data = await generate(tenant, { prompt: 'To delete', width: 256, height: 256 });
    const kept = await generate(tenant, { prompt: 'To keep', width: 256, height: 256 });
    await runJob({ id: data.job_id, orgId: tenant.orgId });
    await runJob({ id: kept.job_id, orgId: tenant.orgId });
    expect(await imageObjects(tenant.orgId)).toHaveLength(2);

    const res = await tenant.as('DELETE', `${IMAGES}/${data.id}`);
    expect(res.status).toBe(204);
    expect(await readImage(data.id)).toBeNull();
    expect((await imageObjects(tenant.orgId)).map((o) => o.key)).toEqual([
      `tenants/${tenant.orgId}/images/${kept.id}/v1.png`,
    ]);
    expect((await tenant.as('GET', `${IMAGES}/${data.id}`)).status).toBe(404);
    expect((await download(tenant.accessToken, data.id)).status).toBe(404);
    expect((await tenant.as('DELETE', `${IMAGES}/${data.id}`)).status).toBe(404);
    // The finished job is left as it was.
    expect((await readJob(data.job_id)).status).toBe('done');
  });

  it('another tenant gets 404 and nothing is deleted; viewers are 403; no auth is 401', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const data = await generate(tenant, { prompt: 'Guarded', width: 256, height: 256 });
    await runJob({ id: data.job_id, orgId: tenant.orgId });

    const foreign = await other.as('DELETE', `${IMAGES}/${data.id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('NOT_FOUND');
    const viewer = await addMember(tenant, 'viewer');
    const denied = await call('DELETE', `${IMAGES}/${data.id}`, { token: viewer.accessToken });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('INSUFFICIENT_SCOPE');
    expect((await call('DELETE', `${IMAGES}/${data.id}`)).status).toBe(401);

    expect((await readImage(data.id))?.status).toBe('completed');
    expect(await imageObjects(tenant.orgId)).toHaveLength(1);
    expect((await download(tenant.accessToken, data.id)).status).toBe(200);
  });

  it('cancels the job of an image still queued', async () => {
    const tenant = await createTenant();
    const { image, job } = await pendingImage(tenant, { prompt: 'Never made' });
    expect((await tenant.as('DELETE', `${IMAGES}/${image.id}`)).status).toBe(204);
    expect(await readJob(job.id)).toMatchObject({ status: 'cancelled', cancel_requested: 1 });
    expect(await readImage(image.id)).toBeNull();
    expect(await imageObjects(tenant.orgId)).toHaveLength(0);
  });
});
