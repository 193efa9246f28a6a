import type { AiProvider } from '@flowspark/ai';
import { IMAGE_TOKENS } from '@flowspark/billing';
import { createDb } from '@flowspark/db';
import {
  completeImage,
  failImageGeneration,
  getImage,
  IMAGE_JOB_TYPE,
  type ImageRow,
  imageFileKey,
  MAX_IMAGE_BYTES,
  markImageProcessing,
  sniffImage,
} from '@flowspark/documents';
import { JobError } from '@flowspark/jobs';
import { z } from 'zod';
import type { Env } from '../../env';
import { aiProvider } from '../../lib/ai';
import type { JobHandler } from '../types';

const ImageJobInput = z.object({
  seed: z.number().int().min(0).optional(),
  reservation_id: z.string().optional(),
});
type ImageJobInput = z.infer<typeof ImageJobInput>;

/** Where the handler gets its provider: the configured one in production, a fake in tests. */
export type ProviderFor = (env: Env) => AiProvider;

/** The job's result; `tokens_used` (a flat price per image) settles its token reservation. */
const resultOf = (image: ImageRow) => ({
  image_id: image.id,
  tokens_used: IMAGE_TOKENS,
  content_type: image.contentType,
  file_size_bytes: image.fileSizeBytes,
  width: image.width,
  height: image.height,
  model_used: image.modelUsed,
});

const gone = () => new JobError('IMAGE_UNAVAILABLE', 'The image was deleted or has already ended');

/**
 * `image.generate`: the job of `POST /images/generate`. Idempotent under redelivery: the file goes to
 * one fixed key per image (a rerun overwrites it), and an image already completed is not generated
 * again. Provider failures the provider marks transient are retried by the runner; everything else
 * (including bytes that are not a PNG or JPEG: AI_INVALID_OUTPUT) fails at once.
 */
export const createImageGenerateHandler = (
  providerFor: ProviderFor = aiProvider,
  type: string = IMAGE_JOB_TYPE,
): JobHandler<ImageJobInput> => ({
  type,
  input: ImageJobInput,

  async run(ctx) {
    const db = createDb(ctx.env.DB);
    const id = ctx.job.resourceId;
    if (!id) throw new JobError('INVALID_JOB_INPUT', 'The job names no image');
    const current = await getImage(db, ctx.orgId, id);
    if (!current) throw gone();
    // A redelivery after the image was committed (the job's own completion was lost): nothing to redo.
    if (current.status === 'completed' && current.fileKey) return resultOf(current);
    const image = await markImageProcessing(db, ctx.orgId, id);
    if (!image) throw gone();

    await ctx.progress(10, 'Generating the image');
    const started = Date.now();
    const output = await providerFor(ctx.env).generateImage({
      prompt: image.prompt,
      negative_prompt: image.negativePrompt ?? undefined,
      width: image.width,
      height: image.height,
      seed: ctx.input.seed,
    });
    const generationTimeMs = Date.now() - started;
    // The content decides the type, never the provider's label.
    const info = output.bytes.byteLength <= MAX_IMAGE_BYTES ? sniffImage(output.bytes) : null;
    if (!info) {
      throw new JobError('AI_INVALID_OUTPUT', 'The AI provider did not return a PNG or JPEG image', {
        details: { provider: output.provider, model: output.model, size_bytes: output.bytes.byteLength },
      });
    }

    await ctx.progress(80, 'Storing the image');
    await ctx.throwIfCancelled();
    const fileKey = imageFileKey(ctx.orgId, id, info.contentType);
    await ctx.env.FILES.put(fileKey, output.bytes, { httpMetadata: { contentType: info.contentType } });
    // An earlier attempt may have stored the other type; an image keeps exactly one object.
    const other = imageFileKey(ctx.orgId, id, info.contentType === 'image/png' ? 'image/jpeg' : 'image/png');
    await ctx.env.FILES.delete(other);

    await ctx.throwIfCancelled();
    const done = await completeImage(db, ctx.orgId, id, {
      fileKey,
      sizeBytes: output.bytes.byteLength,
      contentType: info.contentType,
      modelUsed: output.model,
      generationTimeMs,
      width: info.width,
      height: info.height,
    });
    if (!done) {
      // Deleted (or failed) while we generated: leave nothing behind.
      await ctx.env.FILES.delete(fileKey);
      throw gone();
    }
    return resultOf(done);
  },

  /** The job ended in error or was cancelled: the image says why, and no file stays downloadable. */
  onFailed: (ctx) => failImageGeneration(createDb(ctx.env.DB), ctx.env.FILES, ctx.job),
});

export const imageGenerateHandler = createImageGenerateHandler();
