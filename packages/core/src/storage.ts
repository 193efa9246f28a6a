/**
 * R2 layout shared by every package that stores files: every object of a tenant lives under
 * `tenants/<orgId>/`, so a tenant's files can be listed, exported or deleted by prefix, and no key is
 * ever built from user input alone.
 */
export const orgPrefix = (orgId: string) => `tenants/${orgId}/`;

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
