import type { ImageRow } from '@flowspark/documents';
import type { z } from '@hono/zod-openapi';
import { generatedFields } from '../../lib/present';
import type { ImageSchema } from './schemas';

/**
 * Never the R2 key or the organization. The download URL is the API path, like a document's;
 * content_type is always one of the two the job stores.
 */
export const presentImage = (row: ImageRow) =>
  ({
    id: row.id,
    prompt: row.prompt,
    negative_prompt: row.negativePrompt,
    width: row.width,
    height: row.height,
    status: row.status,
    file_size_bytes: row.fileSizeBytes,
    content_type: row.contentType,
    ...generatedFields(row),
    download_url: row.status === 'completed' && row.fileKey ? `/api/v1/images/${row.id}/download` : null,
  }) as z.infer<typeof ImageSchema>;

/** A download name from the prompt's first words: letters and digits of any script, joined by dashes. */
export const imageFileName = (prompt: string, contentType: string | null): string => {
  const words = prompt
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .slice(0, 8);
  let base = words.join('-').toLowerCase();
  const chars = Array.from(base);
  // Cut at a word boundary when possible; Array.from never splits a surrogate pair.
  if (chars.length > 60)
    base = chars
      .slice(0, 60)
      .join('')
      .replace(/-[^-]*$/, '');
  return `${base || 'image'}.${contentType === 'image/jpeg' ? 'jpg' : 'png'}`;
};
