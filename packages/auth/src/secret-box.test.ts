import { describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret } from './secret-box';

const KEY = 'an-encryption-key-for-tests-only-0123456789';
const OTHER_KEY = 'another-encryption-key-for-tests-0123456789';
const PURPOSE = 'totp-secret';

function flipCharAt(value: string, index: number): string {
  const replacement = value[index] === 'A' ? 'B' : 'A';
  return value.slice(0, index) + replacement + value.slice(index + 1);
}

describe('secret box', () => {
  it('round-trips, including non-ASCII text', async () => {
    for (const plaintext of ['JBSWY3DPEHPK3PXP', '', 'päßwörd ✓ 🔐', '\ufeffleading BOM']) {
      const boxed = await encryptSecret(KEY, PURPOSE, plaintext);
      expect(boxed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
      expect(boxed).not.toContain(plaintext || '\u0000');
      expect(await decryptSecret(KEY, PURPOSE, boxed)).toBe(plaintext);
    }
  });

  it('uses a fresh IV every time', async () => {
    const a = await encryptSecret(KEY, PURPOSE, 'same');
    const b = await encryptSecret(KEY, PURPOSE, 'same');
    expect(a).not.toBe(b);
  });

  it('detects tampering with the ciphertext or IV', async () => {
    const boxed = await encryptSecret(KEY, PURPOSE, 'JBSWY3DPEHPK3PXP');
    const [version, iv, ciphertext] = boxed.split('.') as [string, string, string];
    const tampered = [
      `${version}.${iv}.${flipCharAt(ciphertext, 3)}`,
      `${version}.${iv}.${flipCharAt(ciphertext, ciphertext.length - 5)}`,
      `${version}.${flipCharAt(iv, 2)}.${ciphertext}`,
      `${version}.${iv}.${ciphertext.slice(0, -4)}`,
    ];
    for (const value of tampered) {
      await expect(decryptSecret(KEY, PURPOSE, value)).rejects.toMatchObject({
        code: 'INTERNAL_ERROR',
        message: 'Could not decrypt a stored secret',
      });
    }
  });

  it('binds ciphertexts to the key and the purpose', async () => {
    const boxed = await encryptSecret(KEY, PURPOSE, 'secret');
    await expect(decryptSecret(OTHER_KEY, PURPOSE, boxed)).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    await expect(decryptSecret(KEY, 'another-purpose', boxed)).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
  });

  it('rejects malformed boxes', async () => {
    const boxed = await encryptSecret(KEY, PURPOSE, 'secret');
    const [, iv, ciphertext] = boxed.split('.');
    for (const value of [
      '',
      'v1',
      'v1..',
      `v2.${iv}.${ciphertext}`,
      `v1.${iv}`,
      `v1.${iv}.${ciphertext}.x`,
      `v1.${iv}.***`,
      'v1.AAAA.AAAA',
    ]) {
      await expect(decryptSecret(KEY, PURPOSE, value), value).rejects.toMatchObject({
        message: 'Could not decrypt a stored secret',
      });
    }
  });

  it('requires a key of at least 32 characters', async () => {
    await expect(encryptSecret('short', PURPOSE, 'x')).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    await expect(encryptSecret('x'.repeat(31), PURPOSE, 'x')).rejects.toThrow();
    await expect(encryptSecret('x'.repeat(32), PURPOSE, 'x')).resolves.toMatch(/^v1\./);
  });
});
