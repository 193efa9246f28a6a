import { AiProviderError, type ImageRequest, type ImageResult } from '@flowspark/ai';
import { describe, expect, it } from 'vitest';
import { createTenant, expectOk } from '../helpers/harness';
import { deliver, eventually, messageFor, readJob } from '../jobs/helpers';
import { download, IMAGES, imageObjects, pendingImage, readImage, tinyJpeg, withImageProvider } from './helpers';

const answer =
  (bytes: Uint8Array, contentType: ImageResult['contentType'] = 'image/png') =>
  async () => ({
    bytes,
    contentType,
    model: 'fake-image-model',
    provider: 'local',
  });

const NOT_IMAGES: Array<[string, Uint8Array]> = [
  ['an HTML error page', new TextEncoder().encode('<html><body>502 Bad Gateway</body></html>')],
  ['JSON', new TextEncoder().encode('{"error":"content filtered"}')],
  ['an empty answer', new Uint8Array(0)],
  ['a PNG signature without an IHDR', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])],
  ['a JPEG start without a frame header', new Uint8Array([0xff, 0xd8, 0xff, 0xd9])],
];

describe('image.generate job failures', () => {
  it.each(NOT_IMAGES)(
    'a provider returning %s → AI_INVALID_OUTPUT, image failed, nothing stored',
    async (_n, bytes) => {
      const tenant = await createTenant();
      const { image, job } = await pendingImage(tenant, { prompt: 'Garbage in', width: 256, height: 256 });
      const outcome = await withImageProvider(answer(bytes), () => deliver(messageFor(job)));
      expect(outcome).toMatchObject({ acked: true, retried: false });

      expect(await readJob(job.id)).toMatchObject({ status: 'error', attempts: 1, error_code: 'AI_INVALID_OUTPUT' });
      expect(await readImage(image.id)).toMatchObject({
        status: 'failed',
        error_code: 'AI_INVALID_OUTPUT',
        error_message: 'The AI provider did not return a PNG or JPEG image',
        file_key: null,
        file_size_bytes: 0,
      });
      expect(await imageObjects(tenant.orgId)).toHaveLength(0);
      const shown = expectOk(await tenant.as('GET', `${IMAGES}/${image.id}`)).body.data;
      expect(shown).toMatchObject({ status: 'failed', error_code: 'AI_INVALID_OUTPUT', download_url: null });
      const res = await download(tenant.accessToken, image.id);
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { details: unknown } }).error.details).toEqual({ status: 'failed' });
    },
  );

  it('trusts the bytes, not the label: a JPEG called PNG is stored and served as JPEG, at its real size', async () => {
    const tenant = await createTenant();
    const { image, job } = await pendingImage(tenant, { prompt: 'Labelled wrong', width: 512, height: 512 });
    const jpeg = tinyJpeg(640, 480);
    await withImageProvider(answer(jpeg, 'image/png'), () => deliver(messageFor(job)));
    expect(await readImage(image.id)).toMatchObject({
      status: 'completed',
      content_type: 'image/jpeg',
      width: 640,
      height: 480,
      model_used: 'fake-image-model',
      file_size_bytes: jpeg.length,
      file_key: `tenants/${tenant.orgId}/images/${image.id}/v1.jpg`,
    });
    const res = await download(tenant.accessToken, image.id);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('content-disposition')).toContain('filename="labelled-wrong.jpg"');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(jpeg);
  });

  it('passes the prompt, negative prompt, size and seed to the provider', async () => {
    const tenant = await createTenant();
    const { job } = await pendingImage(tenant, {
      prompt: 'Exact request',
      negative_prompt: 'people',
      width: 320,
      height: 448,
      seed: 42,
    });
    const seen: ImageRequest[] = [];
    await withImageProvider(
      async (req) => {
        seen.push(req);
        return answer(tinyJpeg(320, 448))();
      },
      () => deliver(messageFor(job)),
    );
    expect(seen).toEqual([{ prompt: 'Exact request', negative_prompt: 'people', width: 320, height: 448, seed: 42 }]);
  });

  it('a transient provider error is retried with backoff; the next delivery completes', async () => {
    const tenant = await createTenant();
    const { image, job } = await pendingImage(tenant, { prompt: 'Busy provider', width: 256, height: 256 });
    const busy = async (): Promise<ImageResult> => {
      throw new AiProviderError('The provider is overloaded (503)', {
        provider: 'workers-ai',
        retryable: true,
        providerStatus: 503,
      });
    };
    const first = await withImageProvider(busy, () => deliver(messageFor(job)));
    expect(first).toMatchObject({ acked: false, retried: true });
    expect(first.delaySeconds).toBeGreaterThanOrEqual(5);
    expect(await readJob(job.id)).toMatchObject({ status: 'queued', attempts: 1, error_code: 'AI_PROVIDER_ERROR' });
    expect((await readImage(image.id))?.status).toBe('processing');
    expect(await imageObjects(tenant.orgId)).toHaveLength(0);

    expect(await deliver(messageFor(job), { attempts: 2 })).toMatchObject({ acked: true });
    expect(await readJob(job.id)).toMatchObject({ status: 'done', attempts: 2, error_code: null });
    expect(await readImage(image.id)).toMatchObject({
      status: 'completed',
      error_code: null,
      model_used: 'local-png-v1',
    });
    expect(await imageObjects(tenant.orgId)).toHaveLength(1);
  });

  it('a permanent provider error fails at once, with its code on the image', async () => {
    const tenant = await createTenant();
    const { image, job } = await pendingImage(tenant, { prompt: 'Refused', width: 256, height: 256 });
    const refused = async (): Promise<ImageResult> => {
      throw new AiProviderError('The provider refused the request (400)', {
        provider: 'workers-ai',
        retryable: false,
        providerStatus: 400,
      });
    };
    expect(await withImageProvider(refused, () => deliver(messageFor(job)))).toMatchObject({ acked: true });
    expect(await readJob(job.id)).toMatchObject({ status: 'error', attempts: 1, error_code: 'AI_PROVIDER_ERROR' });
    expect(await readImage(image.id)).toMatchObject({
      status: 'failed',
      error_code: 'AI_PROVIDER_ERROR',
      error_message: 'The provider refused the request (400)',
    });
  });

  it('a dead-lettered job marks its image failed', async () => {
    const tenant = await createTenant();
    const { image, job } = await pendingImage(tenant, { prompt: 'Lost', width: 256, height: 256 });
    expect(await deliver(messageFor(job), { queue: 'flowspark-jobs-dlq' })).toMatchObject({ acked: true });
    expect(await readImage(image.id)).toMatchObject({ status: 'failed', error_code: 'RETRIES_EXHAUSTED' });
  });
});

describe('stopping a running image job', () => {
  /** A provider that waits until released, so the test can act while the job runs. */
  const held = () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const state = { entered: false, release };
    const generateImage = async (req: ImageRequest) => {
      state.entered = true;
      await released;
      return answer(tinyJpeg(req.width, req.height))();
    };
    return { state, generateImage };
  };

  it('DELETE while it runs: the job is cancelled and nothing is left in R2', async () => {
    const tenant = await createTenant();
    const { image, job } = await pendingImage(tenant, { prompt: 'Deleted mid-way', width: 256, height: 256 });
    const { state, generateImage } = held();
    await withImageProvider(generateImage, async () => {
      const delivery = deliver(messageFor(job));
      await eventually(() => (state.entered ? true : undefined));
      expect((await tenant.as('DELETE', `${IMAGES}/${image.id}`)).status).toBe(204);
      expect(await readJob(job.id)).toMatchObject({ status: 'running', cancel_requested: 1 });
      state.release();
      expect(await delivery).toMatchObject({ acked: true });
    });
    expect((await readJob(job.id)).status).toBe('cancelled');
    expect(await readImage(image.id)).toBeNull();
    expect(await imageObjects(tenant.orgId)).toHaveLength(0);
  });

  it('cancelling the job while it runs marks the image failed (CANCELLED), with no file', async () => {
    const tenant = await createTenant();
    const { image, job } = await pendingImage(tenant, { prompt: 'Cancelled', width: 256, height: 256 });
    const { state, generateImage } = held();
    await withImageProvider(generateImage, async () => {
      const delivery = deliver(messageFor(job));
      await eventually(() => (state.entered ? true : undefined));
      expectOk(await tenant.as('POST', `/api/v1/jobs/${job.id}/cancel`), 202);
      state.release();
      await delivery;
    });
    expect((await readJob(job.id)).status).toBe('cancelled');
    expect(await readImage(image.id)).toMatchObject({
      status: 'failed',
      error_code: 'CANCELLED',
      file_key: null,
    });
    expect(await imageObjects(tenant.orgId)).toHaveLength(0);
  });
});
