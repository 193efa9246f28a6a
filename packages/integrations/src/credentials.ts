/**
 * Integration tokens at rest: AES-256-GCM (packages/auth secret-box) under ENCRYPTION_KEY, with the
 * key's fingerprint beside each ciphertext. When the key is rotated (the new one in ENCRYPTION_KEY,
 * the old one in ENCRYPTION_KEY_PREVIOUS), tokens under the old key still open, and
 * `rotationBatch` finds the ones to re-encrypt under the new key.
 */
import { decryptSecret, encryptSecret, sha256Hex } from '@flowspark/auth';
import { AppError } from '@flowspark/core';

const PURPOSE = 'integration-token';

export interface EncryptionKeys {
  current: string;
  previous?: string | undefined;
}

/** A key's public name: the first 16 hex digits of its SHA-256 (the key cannot be derived from it). */
export const keyFingerprint = async (key: string): Promise<string> =>
  (await sha256Hex(`fingerprint:${key}`)).slice(0, 16);

export interface SealedToken {
  tokenEncrypted: string;
  tokenHint: string;
  keyFingerprint: string;
}

export const sealToken = async (keys: EncryptionKeys, token: string): Promise<SealedToken> => ({
  tokenEncrypted: await encryptSecret(keys.current, PURPOSE, token),
  tokenHint: token.slice(-4),
  keyFingerprint: await keyFingerprint(keys.current),
});

/**
 * The token, opened with the key it was sealed under (the current one, or the previous during a
 * rotation). Any other key, or a tampered ciphertext, fails without saying more.
 */
export const openToken = async (
  keys: EncryptionKeys,
  sealed: Pick<SealedToken, 'tokenEncrypted' | 'keyFingerprint'>,
): Promise<string> => {
  const candidates = [keys.current, keys.previous].filter((k): k is string => typeof k === 'string' && k.length > 0);
  for (const key of candidates) {
    if ((await keyFingerprint(key)) === sealed.keyFingerprint)
      return decryptSecret(key, PURPOSE, sealed.tokenEncrypted);
  }
  throw new AppError('INTERNAL_ERROR', 'Could not decrypt a stored secret');
};
