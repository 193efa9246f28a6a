import { notFound } from '@flowspark/core';
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';

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

/**
 * Streams an R2 object as a download: `If-None-Match` answers 304 with the ETag, otherwise the body
 * with its type, length and `Content-Disposition`. `headers` go on both answers; a missing object is
 * 404 naming `missing`. `describe` names the type and file once the object's metadata is known.
 */
export const sendObject = async (
  c: Context,
  key: string,
  options: {
    missing: string;
    cacheControl: string;
    headers?: Record<string, string>;
    describe: (object: R2Object) => { contentType: string; filename: string };
  },
): Promise<Response> => {
  const etag = ifNoneMatch(c.req.header('if-none-match'));
  const object = await (c.env as { FILES: R2Bucket }).FILES.get(
    key,
    etag ? { onlyIf: { etagDoesNotMatch: etag } } : undefined,
  );
  if (!object) throw notFound(options.missing);
  const headers: Record<string, string> = {
    ETag: object.httpEtag,
    'Cache-Control': options.cacheControl,
    ...options.headers,
  };
  // A failed precondition (If-None-Match matched) returns the metadata without a body.
  if (!('body' in object)) return c.body(null, 304, headers);
  const { contentType, filename } = options.describe(object);
  return c.body(object.body, 200, {
    ...headers,
    'Content-Type': contentType,
    'Content-Length': String(object.size),
    'Content-Disposition': contentDisposition(filename),
    'X-Content-Type-Options': 'nosniff',
  });
};
