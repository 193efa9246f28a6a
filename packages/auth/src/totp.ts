/**
 * RFC 6238 TOTP with the parameters every authenticator app supports: HMAC-SHA1, 30 s, 6 digits.
 */
import { AppError } from '@flowspark/core';
import { base32Decode, base32Encode, randomBytes, randomString, sha256Hex, timingSafeEqual } from './tokens';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** 160 bits, the key size RFC 4226 recommends for HMAC-SHA1. */
export const TOTP_SECRET_BYTES = 20;
export const TOTP_DEFAULT_WINDOW = 1;
// Each extra step of tolerance multiplies an online guesser's odds; more than this is a misconfiguration.
const MAX_WINDOW = 10;
const CODE_PATTERN = /^[0-9]{6}$/;

// No 0/o, 1/l/i: recovery codes are read off paper and typed by hand.
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const RECOVERY_HALF_LENGTH = 5;
const RECOVERY_COMPACT_PATTERN = /^[a-z0-9]{10}$/;
const MAX_RECOVERY_CODES = 100;

export interface VerifyTotpOptions {
  /** Current time in milliseconds since the epoch; defaults to Date.now(). */
  now?: number;
  /** How many steps before and after the current one are accepted, for clock drift. */
  window?: number;
  /** The step of the last accepted code; it and every earlier step are refused so a code works once. */
  lastUsedStep?: number | null;
}

function importHmacKey(secret: string): Promise<CryptoKey> {
  const bytes = base32Decode(secret);
  if (bytes.length === 0) throw new AppError('INTERNAL_ERROR', 'TOTP secret is empty');
  return crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
}

async function hotpWithKey(key: CryptoKey, counter: number, digits: number): Promise<string> {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new AppError('INTERNAL_ERROR', 'TOTP step is out of range');
  const message = new Uint8Array(8);
  const view = new DataView(message.buffer);
  // 64-bit big-endian counter, written as two halves because bit operators work on 32 bits.
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter >>> 0);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
  // RFC 4226 §5.3 dynamic truncation.
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return (binary % 10 ** digits).toString().padStart(digits, '0');
}

/**
 * HOTP (RFC 4226) for a base32 secret with a configurable digit count. Internal: it exists so the
 * RFC 6238 test vectors (8 digits) can be checked; application code uses {@link totpAt}.
 * @internal
 */
export async function hotp(secret: string, counter: number, digits: number): Promise<string> {
  return hotpWithKey(await importHmacKey(secret), counter, digits);
}

/** A fresh random TOTP secret, base32 without padding, ready for an otpauth URI. */
export function generateTotpSecret(): string {
  return base32Encode(randomBytes(TOTP_SECRET_BYTES));
}

/** The time step (counter) for a moment given in milliseconds. */
export function totpStep(nowMs: number = Date.now()): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
}

/** The 6-digit code for a given time step. */
export function totpAt(secret: string, step: number): Promise<string> {
  return hotp(secret, step, TOTP_DIGITS);
}

/**
 * Checks a code against the steps around now. Returns the matched step, which the caller must store as
 * the new `lastUsedStep`, or null. Every step in the window is computed and compared in constant time
 * so timing does not reveal which step (if any) was close.
 */
export async function verifyTotp(secret: string, code: string, opts: VerifyTotpOptions = {}): Promise<number | null> {
  const window = opts.window ?? TOTP_DEFAULT_WINDOW;
  if (!Number.isInteger(window) || window < 0 || window > MAX_WINDOW) {
    throw new AppError('INTERNAL_ERROR', `TOTP window must be an integer between 0 and ${MAX_WINDOW}`);
  }
  if (typeof code !== 'string' || !CODE_PATTERN.test(code)) return null;

  const current = totpStep(opts.now ?? Date.now());
  const lastUsedStep = opts.lastUsedStep ?? null;
  const key = await importHmacKey(secret);
  const steps: number[] = [];
  for (let step = current - window; step <= current + window; step++) {
    if (step >= 0) steps.push(step);
  }
  const candidates = await Promise.all(steps.map((step) => hotpWithKey(key, step, TOTP_DIGITS)));

  let matched: number | null = null;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    // No early exit: keep comparing after a match so timing is the same whichever step matched.
    const equal = timingSafeEqual(candidates[i]!, code);
    if (equal && matched === null && (lastUsedStep === null || step > lastUsedStep)) matched = step;
  }
  return matched;
}

/** Key URI for QR codes (https://github.com/google/google-authenticator/wiki/Key-Uri-Format). */
export function otpauthUri(secret: string, accountName: string, issuer: string): string {
  // encodeURIComponent (not URLSearchParams) because authenticators expect %20, not +, for spaces.
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
  const params = [
    `secret=${encodeURIComponent(secret.replace(/[\s=]/g, '').toUpperCase())}`,
    `issuer=${encodeURIComponent(issuer)}`,
    'algorithm=SHA1',
    `digits=${TOTP_DIGITS}`,
    `period=${TOTP_PERIOD_SECONDS}`,
  ];
  return `otpauth://totp/${label}?${params.join('&')}`;
}

/** One-time recovery codes formatted `xxxxx-xxxxx` (about 49 bits each). Store only their hashes. */
export function generateRecoveryCodes(count = 10): string[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_RECOVERY_CODES) {
    throw new AppError('INTERNAL_ERROR', `Recovery code count must be an integer between 1 and ${MAX_RECOVERY_CODES}`);
  }
  const codes = new Set<string>();
  while (codes.size < count) {
    const compact = randomString(RECOVERY_ALPHABET, RECOVERY_HALF_LENGTH * 2);
    codes.add(`${compact.slice(0, RECOVERY_HALF_LENGTH)}-${compact.slice(RECOVERY_HALF_LENGTH)}`);
  }
  return [...codes];
}

/**
 * Canonical form of a typed recovery code: lower case, no whitespace. A code typed without its dash
 * gets it back, so it still matches the hash of the generated `xxxxx-xxxxx` form.
 */
export function normalizeRecoveryCode(code: string): string {
  const compact = code.trim().toLowerCase().replace(/\s+/g, '');
  if (RECOVERY_COMPACT_PATTERN.test(compact)) {
    return `${compact.slice(0, RECOVERY_HALF_LENGTH)}-${compact.slice(RECOVERY_HALF_LENGTH)}`;
  }
  return compact;
}

/** Hash to store for a recovery code (the codes are random, so plain SHA-256 is enough). */
export function hashRecoveryCode(code: string): Promise<string> {
  return sha256Hex(normalizeRecoveryCode(code));
}
