/**
 * Byte and token helpers on top of Web Crypto only, so the same code runs in workerd, browsers and tests.
 */

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;
// Checked before upper-casing: toUpperCase() maps some non-ASCII letters (ß, ſ, ı) onto valid base32 letters.
const BASE32_PATTERN = /^[A-Za-z2-7]*$/;
// Spreading a huge array into String.fromCharCode can exceed the engine's argument limit.
const FROM_CHAR_CODE_CHUNK = 0x8000;
// crypto.getRandomValues throws QuotaExceededError above this.
const MAX_RANDOM_BYTES = 65_536;

const encoder = new TextEncoder();

/** Cryptographically random bytes. */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(length) || length < 1 || length > MAX_RANDOM_BYTES) {
    throw new RangeError(`randomBytes length must be an integer between 1 and ${MAX_RANDOM_BYTES}`);
  }
  return crypto.getRandomValues(new Uint8Array(length));
}

/**
 * A random string of `length` characters drawn uniformly from `alphabet` (at most 256 characters).
 * Bytes that would make some characters likelier than others are thrown away instead of wrapped.
 */
export function randomString(alphabet: string, length: number): string {
  if (alphabet.length < 2 || alphabet.length > 256) throw new RangeError('Alphabet must have 2 to 256 characters');
  if (!Number.isInteger(length) || length < 0) throw new RangeError('Length must be a non-negative integer');
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length - out.length + 8)) {
      if (byte >= limit) continue;
      out += alphabet.charAt(byte % alphabet.length);
      if (out.length === length) break;
    }
  }
  return out;
}

/** An unguessable URL-safe token carrying `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return base64UrlEncode(randomBytes(bytes));
}

/** RFC 4648 §5 base64url without padding. */
export function base64UrlEncode(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += FROM_CHAR_CODE_CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + FROM_CHAR_CODE_CHUNK));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes unpadded base64url; throws TypeError on anything else (standard base64, padding, whitespace). */
export function base64UrlDecode(input: string): Uint8Array<ArrayBuffer> {
  if (!BASE64URL_PATTERN.test(input) || input.length % 4 === 1) {
    throw new TypeError('Invalid base64url input');
  }
  const padded = input.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (input.length % 4)) % 4);
  const binary = atob(padded);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** RFC 4648 §6 base32 (upper case, no padding), the encoding authenticator apps expect for TOTP secrets. */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET.charAt((buffer >>> bits) & 31);
    }
    // Keep only the unconsumed bits so the shift above never overflows 32 bits.
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET.charAt((buffer << (5 - bits)) & 31);
  return out;
}

/** Decodes unpadded RFC 4648 base32, case-insensitively; throws TypeError on invalid characters or length. */
export function base32Decode(input: string): Uint8Array<ArrayBuffer> {
  // Lengths 1, 3 and 6 (mod 8) cannot come from any byte string.
  const remainder = input.length % 8;
  if (!BASE32_PATTERN.test(input) || remainder === 1 || remainder === 3 || remainder === 6) {
    throw new TypeError('Invalid base32 input');
  }
  const upper = input.toUpperCase();
  const out = new Uint8Array(Math.floor((upper.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (let i = 0; i < upper.length; i++) {
    buffer = (buffer << 5) | BASE32_ALPHABET.indexOf(upper.charAt(i));
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >>> bits) & 0xff;
      buffer &= (1 << bits) - 1;
    }
  }
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** SHA-256 of the UTF-8 encoding of `input`, lower-case hex. */
export async function sha256Hex(input: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(input));
  return bytesToHex(new Uint8Array(digest));
}

/**
 * Compares two strings in time that depends only on their length, so an attacker probing a secret
 * learns nothing from how fast a mismatch is reported. Unequal lengths return early: the length of
 * the expected value is not secret for the hashes and tokens this is used on.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Byte-array variant of {@link timingSafeEqual}. */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
