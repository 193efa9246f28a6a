import { describe, expect, it } from 'vitest';
import { API_KEY_PREFIX, generateApiKey, hashApiKey, looksLikeApiKey } from './api-key';

describe('generateApiKey', () => {
  it('produces fsk_ plus 40 base62 characters and a 12-character display prefix', () => {
    const { key, displayPrefix } = generateApiKey();
    expect(API_KEY_PREFIX).toBe('fsk_');
    expect(key).toMatch(/^fsk_[0-9A-Za-z]{40}$/);
    expect(displayPrefix).toBe(key.slice(0, 12));
    expect(displayPrefix).toMatch(/^fsk_[0-9A-Za-z]{8}$/);
    expect(looksLikeApiKey(key)).toBe(true);
  });

  it('does not repeat', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey().key));
    expect(keys.size).toBe(200);
  });
});

describe('looksLikeApiKey', () => {
  const body = 'A'.repeat(40);

  it('accepts only the exact shape', () => {
    expect(looksLikeApiKey(`fsk_${body}`)).toBe(true);
    expect(looksLikeApiKey(`fsk_${body.slice(1)}`)).toBe(false);
    expect(looksLikeApiKey(`fsk_${body}A`)).toBe(false);
    expect(looksLikeApiKey(`fsx_${body}`)).toBe(false);
    expect(looksLikeApiKey(`FSK_${body}`)).toBe(false);
    expect(looksLikeApiKey(`fsk_${body.slice(1)}-`)).toBe(false);
    expect(looksLikeApiKey(`fsk_${body.slice(1)}_`)).toBe(false);
    expect(looksLikeApiKey(` fsk_${body}`)).toBe(false);
    expect(looksLikeApiKey(`fsk_${body}\n`)).toBe(false);
    expect(looksLikeApiKey('eyJhbGciOiJFUzI1NiJ9.e30.sig')).toBe(false);
    expect(looksLikeApiKey('')).toBe(false);
  });
});

describe('hashApiKey', () => {
  it('is a deterministic SHA-256 hex digest', async () => {
    const { key } = generateApiKey();
    const hash = await hashApiKey(key);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await hashApiKey(key)).toBe(hash);
    expect(await hashApiKey(generateApiKey().key)).not.toBe(hash);
  });
});
