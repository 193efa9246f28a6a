import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  base64UrlDecode,
  base64UrlEncode,
  randomString,
  randomToken,
  sha256Hex,
  timingSafeEqual,
  timingSafeEqualBytes,
} from './tokens';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('base64url', () => {
  it('round-trips every byte value without padding or +/', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const encoded = base64UrlEncode(all);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(base64UrlDecode(encoded)).toEqual(all);
  });

  it('round-trips lengths that need different padding', () => {
    for (let length = 0; length < 8; length++) {
      const input = crypto.getRandomValues(new Uint8Array(length));
      expect(base64UrlDecode(base64UrlEncode(input))).toEqual(input);
    }
  });

  it('rejects padding, standard base64 characters and impossible lengths', () => {
    expect(() => base64UrlDecode('AA==')).toThrow(TypeError);
    expect(() => base64UrlDecode('a+b/')).toThrow(TypeError);
    expect(() => base64UrlDecode('abcde')).toThrow(TypeError);
    expect(() => base64UrlDecode('ab cd')).toThrow(TypeError);
  });
});

describe('base32', () => {
  it('matches the RFC 4648 test vectors (unpadded)', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(base32Encode(bytes(plain))).toBe(encoded);
      expect(base32Decode(encoded)).toEqual(bytes(plain));
    }
  });

  it('round-trips random data of many lengths', () => {
    for (let length = 0; length <= 40; length++) {
      const input = crypto.getRandomValues(new Uint8Array(length));
      const encoded = base32Encode(input);
      expect(encoded).toMatch(/^[A-Z2-7]*$/);
      expect(base32Decode(encoded)).toEqual(input);
    }
  });

  it('decodes case-insensitively', () => {
    expect(base32Decode('mzxw6ytboi')).toEqual(bytes('foobar'));
    expect(base32Decode('MzXw6YtBoI')).toEqual(bytes('foobar'));
  });

  it('rejects characters outside the alphabet, padding and impossible lengths', () => {
    for (const bad of [
      'MZXW6YT1',
      'MZXW6YT0',
      'MZXW6YT8',
      'MZXW6===',
      'MZ XW',
      'MZXW6YTß',
      'ſſ',
      'M',
      'MZX',
      'MZXW6Y',
    ]) {
      expect(() => base32Decode(bad), bad).toThrow(TypeError);
    }
  });
});

describe('randomToken / randomString', () => {
  it('encodes the requested number of bytes as base64url', () => {
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(base64UrlDecode(token)).toHaveLength(32);
    expect(base64UrlDecode(randomToken(16))).toHaveLength(16);
  });

  it('does not repeat', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => randomToken()));
    expect(tokens.size).toBe(100);
  });

  it('rejects nonsensical sizes', () => {
    expect(() => randomToken(0)).toThrow(RangeError);
    expect(() => randomToken(1.5)).toThrow(RangeError);
    expect(() => randomToken(70_000)).toThrow(RangeError);
  });

  it('draws only from the given alphabet', () => {
    const value = randomString('abc', 500);
    expect(value).toMatch(/^[abc]{500}$/);
    // With 500 draws every letter shows up unless the generator is badly broken.
    for (const letter of 'abc') expect(value).toContain(letter);
  });
});

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 "abc" vector', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes the UTF-8 encoding', async () => {
    expect(await sha256Hex('é')).toBe(await sha256Hex('\u00e9'));
    expect(await sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('timingSafeEqual', () => {
  it('compares strings', () => {
    expect(timingSafeEqual('abc', 'abc')).toBe(true);
    expect(timingSafeEqual('abc', 'abd')).toBe(false);
    expect(timingSafeEqual('abc', 'abcd')).toBe(false);
    expect(timingSafeEqual('', '')).toBe(true);
    expect(timingSafeEqual('\u0101', '\u0001')).toBe(false);
  });

  it('compares bytes', () => {
    expect(timingSafeEqualBytes(bytes('abc'), bytes('abc'))).toBe(true);
    expect(timingSafeEqualBytes(bytes('abc'), bytes('abd'))).toBe(false);
    expect(timingSafeEqualBytes(bytes('abc'), bytes('ab'))).toBe(false);
  });
});
