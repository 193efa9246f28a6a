import { type FontName, type FontSource, fontKey } from '@flowspark/docgen';

/**
 * Fonts read from R2 (`_system/fonts/<name>.ttf`, put there by scripts/fonts.mjs) and kept for the
 * life of the isolate: one R2 read per font per isolate, not per render. Only fonts a document
 * needs are ever read (the 10 MB CJK font only for CJK text). A font that is absent or fails to
 * read is not cached, so uploading it later takes effect without a redeploy.
 */
export type FontCache = Map<FontName, Promise<Uint8Array | null>>;
const isolateCache: FontCache = new Map();

/** `cache` is the isolate's by default; tests pass their own. */
export const r2FontSource = (bucket: R2Bucket, cache: FontCache = isolateCache): FontSource => ({
  load(name) {
    let pending = cache.get(name);
    if (!pending) {
      pending = bucket.get(fontKey(name)).then(async (object) => {
        if (!object) return null;
        return new Uint8Array(await object.arrayBuffer());
      });
      cache.set(name, pending);
      pending.then(
        (bytes) => {
          if (!bytes) cache.delete(name);
        },
        () => cache.delete(name),
      );
    }
    return pending;
  },
});
