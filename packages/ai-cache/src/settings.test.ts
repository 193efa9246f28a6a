import { describe, expect, it } from 'vitest';
import {
  AI_CACHE_DEFAULTS,
  aiCacheSettings,
  DEFAULT_SIMILARITY_THRESHOLD,
  SIMILARITY_THRESHOLDS,
  similarityThreshold,
} from './settings';

describe('aiCacheSettings', () => {
  it('defaults: on, 7 days, 5,000 entries, the embedding model’s threshold', () => {
    expect(aiCacheSettings({})).toEqual({
      enabled: true,
      ttlSeconds: 604_800,
      maxEntries: 5_000,
      similarity: null,
    });
    expect(AI_CACHE_DEFAULTS).toEqual({ ttlSeconds: 604_800, maxEntries: 5_000 });
  });

  it('reads AI_CACHE, AI_CACHE_SIMILARITY, AI_CACHE_TTL_SECONDS and AI_CACHE_MAX_ENTRIES', () => {
    expect(
      aiCacheSettings({
        AI_CACHE: ' OFF ',
        AI_CACHE_SIMILARITY: '0.9',
        AI_CACHE_TTL_SECONDS: '60',
        AI_CACHE_MAX_ENTRIES: '100',
      }),
    ).toEqual({ enabled: false, ttlSeconds: 60, maxEntries: 100, similarity: 0.9 });
    expect(aiCacheSettings({ AI_CACHE: 'on' }).enabled).toBe(true);
    expect(aiCacheSettings({ AI_CACHE_SIMILARITY: '1' }).similarity).toBe(1);
    expect(aiCacheSettings({ AI_CACHE_SIMILARITY: '0' }).similarity).toBe(0);
  });

  it('invalid values fall back to the defaults instead of failing calls', () => {
    const settings = aiCacheSettings({
      AI_CACHE_SIMILARITY: '1.5',
      AI_CACHE_TTL_SECONDS: '-5',
      AI_CACHE_MAX_ENTRIES: '1e9',
    });
    expect(settings).toEqual({ enabled: true, ttlSeconds: 604_800, maxEntries: 5_000, similarity: null });
    expect(aiCacheSettings({ AI_CACHE_SIMILARITY: 'high' }).similarity).toBeNull();
    expect(aiCacheSettings({ AI_CACHE_MAX_ENTRIES: '50000' }).maxEntries).toBe(5_000);
  });
});

describe('similarityThreshold', () => {
  it('per embedding model, a strict default for models not measured, the override above both', () => {
    expect(similarityThreshold({ similarity: null }, 'local-hash-384')).toBe(SIMILARITY_THRESHOLDS['local-hash-384']);
    expect(similarityThreshold({ similarity: null }, 'local-use-lite-512')).toBe(0.99);
    expect(similarityThreshold({ similarity: null }, '@cf/baai/bge-base-en-v1.5')).toBe(DEFAULT_SIMILARITY_THRESHOLD);
    expect(similarityThreshold({ similarity: null }, null)).toBe(DEFAULT_SIMILARITY_THRESHOLD);
    expect(similarityThreshold({ similarity: 0.8 }, 'local-hash-384')).toBe(0.8);
  });
});
