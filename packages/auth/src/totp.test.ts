import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode } from './tokens';
import {
  generateRecoveryCodes,
  generateTotpSecret,
  hashRecoveryCode,
  hotp,
  normalizeRecoveryCode,
  otpauthUri,
  totpAt,
  totpStep,
  verifyTotp,
} from './totp';

// RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
const RFC_SECRET = base32Encode(new TextEncoder().encode('12345678901234567890'));

describe('RFC 6238 test vectors (SHA-1, 8 digits)', () => {
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
  ];

  it.each(vectors)('T = %i gives %s', async (seconds, expected) => {
    const step = totpStep(seconds * 1000);
    expect(step).toBe(Math.floor(seconds / 30));
    expect(await hotp(RFC_SECRET, step, 8)).toBe(expected);
    // The 6-digit code is the same truncation modulo 10^6.
    expect(await totpAt(RFC_SECRET, step)).toBe(expected.slice(-6));
  });

  it('handles counters above 2^32', async () => {
    // Both halves of the 64-bit counter must be written; 20000000000 s is step 666666666 (< 2^32),
    // so use a raw counter that needs the high word.
    const high = await hotp(RFC_SECRET, 2 ** 32 + 1, 6);
    const low = await hotp(RFC_SECRET, 1, 6);
    expect(high).toMatch(/^[0-9]{6}$/);
    expect(high).not.toBe(low);
  });
});

describe('generateTotpSecret', () => {
  it('returns 20 random bytes as unpadded base32', () => {
    const secret = generateTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
    expect(generateTotpSecret()).not.toBe(secret);
  });
});

describe('verifyTotp', () => {
  // 1234567890 s: a fixed instant so the codes around it are deterministic.
  const now = 1_234_567_890_000;
  const step = totpStep(now);
  const codeAt = (offset: number) => totpAt(RFC_SECRET, step + offset);

  it('accepts the current code and returns its step', async () => {
    expect(await verifyTotp(RFC_SECRET, await codeAt(0), { now })).toBe(step);
    expect(await verifyTotp(RFC_SECRET, '005924', { now })).toBe(step);
  });

  it('accepts neighbouring steps inside the window only', async () => {
    expect(await verifyTotp(RFC_SECRET, await codeAt(-1), { now })).toBe(step - 1);
    expect(await verifyTotp(RFC_SECRET, await codeAt(1), { now })).toBe(step + 1);
    expect(await verifyTotp(RFC_SECRET, await codeAt(-2), { now })).toBeNull();
    expect(await verifyTotp(RFC_SECRET, await codeAt(2), { now })).toBeNull();
    expect(await verifyTotp(RFC_SECRET, await codeAt(2), { now, window: 2 })).toBe(step + 2);
    expect(await verifyTotp(RFC_SECRET, await codeAt(1), { now, window: 0 })).toBeNull();
    expect(await verifyTotp(RFC_SECRET, await codeAt(0), { now, window: 0 })).toBe(step);
  });

  it('refuses a step at or before the last used one (replay)', async () => {
    const code = await codeAt(0);
    expect(await verifyTotp(RFC_SECRET, code, { now, lastUsedStep: step - 1 })).toBe(step);
    expect(await verifyTotp(RFC_SECRET, code, { now, lastUsedStep: step })).toBeNull();
    expect(await verifyTotp(RFC_SECRET, code, { now, lastUsedStep: step + 1 })).toBeNull();
    expect(await verifyTotp(RFC_SECRET, await codeAt(-1), { now, lastUsedStep: step - 1 })).toBeNull();
    expect(await verifyTotp(RFC_SECRET, code, { now, lastUsedStep: null })).toBe(step);
  });

  it('rejects wrong codes and anything that is not exactly 6 digits', async () => {
    const code = await codeAt(0);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(await verifyTotp(RFC_SECRET, wrong, { now })).toBeNull();
    for (const bad of [
      '',
      '12345',
      '1234567',
      ` ${code}`,
      `${code} `,
      '12 456',
      'abcdef',
      '１２３４５６',
      '89005924',
    ]) {
      expect(await verifyTotp(RFC_SECRET, bad, { now }), bad).toBeNull();
    }
  });

  it('rejects a code for a different secret', async () => {
    expect(await verifyTotp(generateTotpSecret(), await codeAt(0), { now, window: 0 })).toBeNull();
  });

  it('refuses unreasonable windows', async () => {
    await expect(verifyTotp(RFC_SECRET, '123456', { now, window: -1 })).rejects.toThrow();
    await expect(verifyTotp(RFC_SECRET, '123456', { now, window: 100 })).rejects.toThrow();
  });

  it('works with the real clock by default', async () => {
    const secret = generateTotpSecret();
    const current = totpStep();
    const matched = await verifyTotp(secret, await totpAt(secret, current));
    // The clock may tick over between the two calls, which the window absorbs.
    expect(matched === current || matched === current + 1 || matched === current - 1).toBe(true);
  });
});

describe('otpauthUri', () => {
  it('builds a key URI authenticator apps understand', () => {
    const uri = otpauthUri('JBSWY3DPEHPK3PXP', 'ada@example.com', 'Flow Spark');
    expect(uri).toBe(
      'otpauth://totp/Flow%20Spark:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Flow%20Spark&algorithm=SHA1&digits=6&period=30',
    );
  });
});

describe('recovery codes', () => {
  it('generates unique xxxxx-xxxxx codes without confusing characters', () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) {
      expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
      expect(code).not.toMatch(/[ilo01]/);
      expect(normalizeRecoveryCode(code)).toBe(code);
    }
    expect(generateRecoveryCodes(3)).toHaveLength(3);
    expect(() => generateRecoveryCodes(0)).toThrow();
  });

  it('normalizes what users type', async () => {
    expect(normalizeRecoveryCode('  ABCDE-FGHJK \n')).toBe('abcde-fghjk');
    expect(normalizeRecoveryCode('abcde fghjk')).toBe('abcde-fghjk');
    expect(normalizeRecoveryCode('AbCdEfGhJk')).toBe('abcde-fghjk');
    expect(await hashRecoveryCode(' ABCDE FGHJK')).toBe(await hashRecoveryCode('abcde-fghjk'));
  });
});
