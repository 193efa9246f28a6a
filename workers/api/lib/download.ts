import { z } from '@hono/zod-openapi';

/** A file body in the OpenAPI document. */
export const binary = z.string().openapi({ type: 'string', format: 'binary' });

/** The first entity tag of If-None-Match, bare (R2 compares etags without quotes or the weak prefix). */
export const ifNoneMatch = (header: string | undefined): string | undefined => {
  const first = header?.split(',')[0]?.trim().replace(/^W\//, '').replace(/"/g, '');
  return first && first !== '*' ? first : undefined;
};

/** `Content-Disposition` for a download: an ASCII fallback plus the UTF-8 name (RFC 6266 / 5987). */
export const contentDisposition = (filename: string): string => {
  const ascii =
    filename
      .normalize('NFKD')
      .replace(/[^\x20-\x7e]/g, '')
      .replace(/["\\]/g, '')
      .trim() || 'download';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
};
