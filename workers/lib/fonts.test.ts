import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { type FontCache, r2FontSource } from './fonts';

/** An R2 bucket stand-in that counts reads and serves what `objects` holds at the time. */
const fakeBucket = (objects: Map<string, Uint8Array>) => {
  const reads: string[] = [];
  const bucket = {
    async get(key: string) {
      reads.push(key);
      const bytes = objects.get(key);
      return bytes ? { arrayBuffer: async () => bytes.slice().buffer } : null;
    },
  } as unknown as R2Bucket;
  return { bucket, reads };
};

describe('r2FontSource', () => {
  it('reads the fonts the tests put in R2 (as `npm run dev` and production have them)', async () => {
    const bytes = await r2FontSource(env.FILES).load('NotoSans-Bold');
    expect(bytes?.byteLength).toBeGreaterThan(100_000);
    // A TrueType font starts with version 0x00010000.
    expect([...bytes!.subarray(0, 4)]).toEqual([0, 1, 0, 0]);
  });

  it('reads each font once per isolate, and does not remember a missing one', async () => {
    const name = 'NotoEmoji-Regular' as const;
    const objects = new Map<string, Uint8Array>();
    const { bucket, reads } = fakeBucket(objects);
    const cache: FontCache = new Map();
    const source = r2FontSource(bucket, cache);
    expect(await source.load(name)).toBeNull();
    expect(reads).toEqual(['_system/fonts/NotoEmoji-Regular.ttf']);
    objects.set('_system/fonts/NotoEmoji-Regular.ttf', new Uint8Array([0, 1, 0, 0, 9]));
    const [a, b] = await Promise.all([source.load(name), source.load(name)]);
    expect(a).toEqual(new Uint8Array([0, 1, 0, 0, 9]));
    expect(b).toBe(a);
    // Another source over the same cache (the next render in this isolate) does not read again.
    expect(await r2FontSource(bucket, cache).load(name)).toBe(a);
    expect(reads).toHaveLength(2);
  });
});
