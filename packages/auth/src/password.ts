import { AppError } from '@flowspark/core';
import { base64UrlDecode, base64UrlEncode, randomBytes, timingSafeEqualBytes } from './tokens';

/**
 * PBKDF2 work factor. Cloudflare's production runtime refuses PBKDF2 above 100,000 iterations (local
 * workerd does not enforce it, so the cap is ours), which makes this both the target and the ceiling.
 * The count is stored with every hash so it can change without a migration.
 */
export const PASSWORD_ITERATIONS = 100_000;

const SCHEME = 'pbkdf2-sha256';
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Bounds for hashes read back from storage; anything outside them is treated as malformed.
const MIN_STORED_BYTES = 16;
const MAX_STORED_BYTES = 64;
const DECIMAL_PATTERN = /^[1-9][0-9]{0,8}$/;

/**
 * A well-formed hash of a random password nobody knows (it was discarded after hashing). Verifying
 * against it costs the same as a real check, so a login for an unknown email takes as long as one
 * with a wrong password.
 */
export const DUMMY_PASSWORD_HASH =
  'pbkdf2-sha256$100000$dTaYWdCbM6kjCToODIdJ4w$hd6mKzv1HrVDBpkwOFpW7GOrQyATalHOpGRJnHZNaSI';

export interface PasswordVerification {
  valid: boolean;
  /** True when the password was correct but the hash uses outdated parameters and should be replaced. */
  needsRehash: boolean;
}

const encoder = new TextEncoder();

function assertIterations(iterations: number): void {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > PASSWORD_ITERATIONS) {
    throw new AppError(
      'INTERNAL_ERROR',
      `Password hash iterations must be an integer between 1 and ${PASSWORD_ITERATIONS}`,
    );
  }
}

async function deriveKey(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number, bytes: number) {
  // NFC so the same password typed on different keyboards/OSes (composed vs decomposed accents) matches.
  const material = encoder.encode(password.normalize('NFC'));
  const baseKey = await crypto.subtle.importKey('raw', material, 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    baseKey,
    bytes * 8,
  );
  return new Uint8Array(bits);
}

/** Hashes a password as `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64url, unpadded). */
export async function hashPassword(password: string, iterations: number = PASSWORD_ITERATIONS): Promise<string> {
  assertIterations(iterations);
  const salt = randomBytes(SALT_BYTES);
  const hash = await deriveKey(password, salt, iterations, KEY_BYTES);
  return `${SCHEME}$${iterations}$${base64UrlEncode(salt)}$${base64UrlEncode(hash)}`;
}

interface ParsedHash {
  iterations: number;
  salt: Uint8Array<ArrayBuffer>;
  hash: Uint8Array<ArrayBuffer>;
}

function parseStoredHash(stored: string): ParsedHash | null {
  if (typeof stored !== 'string') return null;
  const parts = stored.split('$');
  if (parts.length !== 4) return null;
  const [scheme, iterationsText, saltText, hashText] = parts as [string, string, string, string];
  if (scheme !== SCHEME || !DECIMAL_PATTERN.test(iterationsText)) return null;
  const iterations = Number(iterationsText);
  if (iterations > PASSWORD_ITERATIONS) return null;
  try {
    const salt = base64UrlDecode(saltText);
    const hash = base64UrlDecode(hashText);
    if (salt.length < MIN_STORED_BYTES || salt.length > MAX_STORED_BYTES) return null;
    if (hash.length < MIN_STORED_BYTES || hash.length > MAX_STORED_BYTES) return null;
    return { iterations, salt, hash };
  } catch {
    return null;
  }
}

/**
 * Checks a password against a stored hash. Never throws for bad stored data: a malformed hash simply
 * does not match, so a corrupt row cannot turn a login into a 500.
 */
export async function verifyPassword(password: string, stored: string): Promise<PasswordVerification> {
  const parsed = parseStoredHash(stored);
  if (!parsed) return { valid: false, needsRehash: false };
  let candidate: Uint8Array;
  try {
    candidate = await deriveKey(password, parsed.salt, parsed.iterations, parsed.hash.length);
  } catch {
    return { valid: false, needsRehash: false };
  }
  const valid = timingSafeEqualBytes(candidate, parsed.hash);
  const outdated =
    parsed.iterations !== PASSWORD_ITERATIONS || parsed.salt.length !== SALT_BYTES || parsed.hash.length !== KEY_BYTES;
  return { valid, needsRehash: valid && outdated };
}

/**
 * Burns one full password verification and always reports failure. Call it when the account does not
 * exist so the response time does not reveal which emails are registered.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await verifyPassword(password, DUMMY_PASSWORD_HASH);
  return false;
}
