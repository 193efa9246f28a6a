/**
 * R2 layout: every object of a tenant lives under `tenants/<orgId>/`, so a tenant's files can be
 * listed, exported or deleted by prefix, and no key is ever built from user input alone.
 */
export type FileArea = 'documents' | 'presentations' | 'images' | 'templates';

export const tenantPrefix = (orgId: string) => `tenants/${orgId}/`;

export const resourcePrefix = (orgId: string, area: FileArea, resourceId: string) =>
  `${tenantPrefix(orgId)}${area}/${resourceId}/`;

/** One object per version: a re-render never overwrites a file an older version points to. */
export const versionFileKey = (orgId: string, area: FileArea, resourceId: string, version: number, extension: string) =>
  `${resourcePrefix(orgId, area, resourceId)}v${version}.${extension}`;

/** Deletes every object under a prefix, in pages of 1,000 (R2's list and delete batch size). */
export const deletePrefix = async (bucket: R2Bucket, prefix: string): Promise<number> => {
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor, limit: 1000 });
    const keys = page.objects.map((object) => object.key);
    if (keys.length > 0) {
      await bucket.delete(keys);
      deleted += keys.length;
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return deleted;
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
