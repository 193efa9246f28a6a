import { randomString, sha256Hex } from './tokens';

/** Recognisable prefix so leaked keys can be found by secret scanners and told apart from JWTs. */
export const API_KEY_PREFIX = 'fsk_';
/** 40 base62 characters carry about 238 bits of entropy. */
export const API_KEY_RANDOM_LENGTH = 40;
export const API_KEY_LENGTH = API_KEY_PREFIX.length + API_KEY_RANDOM_LENGTH;
/** How much of a key is stored in clear and shown in listings so users can tell their keys apart. */
export const API_KEY_DISPLAY_PREFIX_LENGTH = 12;

const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const API_KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${API_KEY_RANDOM_LENGTH}}$`);

export interface GeneratedApiKey {
  /** The full secret; shown to the user once and never stored. */
  key: string;
  /** First 12 characters, e.g. `fsk_AbCd1234`; safe to store and display. */
  displayPrefix: string;
}

export function generateApiKey(): GeneratedApiKey {
  const key = `${API_KEY_PREFIX}${randomString(BASE62_ALPHABET, API_KEY_RANDOM_LENGTH)}`;
  return { key, displayPrefix: key.slice(0, API_KEY_DISPLAY_PREFIX_LENGTH) };
}

/** Cheap shape check so a bearer token can be routed to API-key or JWT auth without touching storage. */
export function looksLikeApiKey(token: string): boolean {
  return typeof token === 'string' && API_KEY_PATTERN.test(token);
}

/**
 * Keys are high-entropy random strings, so a fast unsalted SHA-256 is enough and lets lookups go by
 * hash through a unique index.
 */
export function hashApiKey(key: string): Promise<string> {
  return sha256Hex(key);
}
