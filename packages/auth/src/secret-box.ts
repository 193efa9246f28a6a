/**
 * Encryption at rest for secrets we must read back (TOTP secrets), as opposed to secrets we only
 * compare (passwords, tokens), which are hashed instead.
 */
import { AppError } from '@flowspark/core';
import { base64UrlDecode, base64UrlEncode, randomBytes } from './tokens';

export const MIN_ENCRYPTION_KEY_LENGTH = 32;

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Fixed, public HKDF salt: it only separates this use of ENCRYPTION_KEY from any other.
const HKDF_SALT = 'flowspark/secret-box/v1';
// Each (key, purpose) pair costs one entry; purposes are a handful of constants, keys change on deploy.
const MAX_CACHED_KEYS = 32;

const encoder = new TextEncoder();
const derivedKeys = new Map<string, Map<string, CryptoKey>>();

const decryptFailed = () => new AppError('INTERNAL_ERROR', 'Could not decrypt a stored secret');

async function deriveKey(keyMaterial: string, purpose: string): Promise<CryptoKey> {
  if (typeof keyMaterial !== 'string' || keyMaterial.length < MIN_ENCRYPTION_KEY_LENGTH) {
    throw new AppError('INTERNAL_ERROR', 'Encryption key is not configured');
  }
  if (typeof purpose !== 'string' || purpose.length === 0) {
    throw new AppError('INTERNAL_ERROR', 'Encryption purpose is required');
  }
  const byPurpose = derivedKeys.get(keyMaterial);
  const cached = byPurpose?.get(purpose);
  if (cached) return cached;

  const base = await crypto.subtle.importKey('raw', encoder.encode(keyMaterial), 'HKDF', false, ['deriveKey']);
  // The purpose is the HKDF info, so a ciphertext made for one purpose cannot be opened as another.
  const key = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode(HKDF_SALT), info: encoder.encode(purpose) },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );

  let entry = byPurpose;
  if (!entry) {
    if (derivedKeys.size >= MAX_CACHED_KEYS) derivedKeys.clear();
    entry = new Map();
    derivedKeys.set(keyMaterial, entry);
  }
  if (entry.size >= MAX_CACHED_KEYS) entry.clear();
  entry.set(purpose, key);
  return key;
}

/** Encrypts with AES-256-GCM under a key derived from `keyMaterial` and `purpose`: `v1.<iv>.<ciphertext>`. */
export async function encryptSecret(keyMaterial: string, purpose: string, plaintext: string): Promise<string> {
  const key = await deriveKey(keyMaterial, purpose);
  const iv = randomBytes(IV_BYTES);
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(VERSION) },
    key,
    encoder.encode(plaintext),
  );
  return `${VERSION}.${base64UrlEncode(iv)}.${base64UrlEncode(new Uint8Array(ciphertext))}`;
}

/** Reverses {@link encryptSecret}; any tampering, wrong key or wrong purpose fails authentication. */
export async function decryptSecret(keyMaterial: string, purpose: string, boxed: string): Promise<string> {
  const key = await deriveKey(keyMaterial, purpose);
  const parts = typeof boxed === 'string' ? boxed.split('.') : [];
  if (parts.length !== 3 || parts[0] !== VERSION) throw decryptFailed();
  try {
    const iv = base64UrlDecode(parts[1]!);
    const ciphertext = base64UrlDecode(parts[2]!);
    if (iv.length !== IV_BYTES || ciphertext.length < TAG_BYTES) throw decryptFailed();
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: encoder.encode(VERSION) },
      key,
      ciphertext,
    );
    // ignoreBOM keeps a leading U+FEFF, so decrypt(encrypt(x)) === x for every string.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(plaintext);
  } catch {
    // No `cause`: keep crypto internals and stored data out of logs and responses.
    throw decryptFailed();
  }
}
