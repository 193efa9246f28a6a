import { describe, expect, it } from 'vitest';
import { DUMMY_PASSWORD_HASH, hashPassword, PASSWORD_ITERATIONS, verifyAgainstDummy, verifyPassword } from './password';

// Low work factor keeps the suite fast; one test below exercises the production value.
const FAST = 1_000;
const FORMAT = /^pbkdf2-sha256\$(\d+)\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9_-]{43})$/;

describe('hashPassword / verifyPassword', () => {
  it('round-trips at the production work factor', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(FORMAT);
    expect(stored.split('$')[1]).toBe(String(PASSWORD_ITERATIONS));
    expect(await verifyPassword('correct horse battery staple', stored)).toEqual({ valid: true, needsRehash: false });
  });

  it('rejects a wrong password', async () => {
    const stored = await hashPassword('correct horse battery staple', FAST);
    expect(await verifyPassword('correct horse battery stapler', stored)).toEqual({ valid: false, needsRehash: false });
    expect(await verifyPassword('', stored)).toEqual({ valid: false, needsRehash: false });
  });

  it('salts every hash', async () => {
    const a = await hashPassword('same password', FAST);
    const b = await hashPassword('same password', FAST);
    expect(a).not.toBe(b);
    expect((await verifyPassword('same password', a)).valid).toBe(true);
    expect((await verifyPassword('same password', b)).valid).toBe(true);
  });

  it('asks for a rehash when the stored iterations differ from the current ones', async () => {
    const stored = await hashPassword('hunter2hunter2', FAST);
    expect(stored.split('$')[1]).toBe(String(FAST));
    expect(await verifyPassword('hunter2hunter2', stored)).toEqual({ valid: true, needsRehash: true });
    // A wrong password never triggers a rehash.
    expect(await verifyPassword('hunter3hunter3', stored)).toEqual({ valid: false, needsRehash: false });
  });

  it('refuses more than 100,000 iterations and other bad work factors', async () => {
    await expect(hashPassword('pw', PASSWORD_ITERATIONS + 1)).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    await expect(hashPassword('pw', 1_000_000)).rejects.toThrow();
    await expect(hashPassword('pw', 0)).rejects.toThrow();
    await expect(hashPassword('pw', 1.5)).rejects.toThrow();
    await expect(hashPassword('pw', Number.NaN)).rejects.toThrow();
  });

  it('treats malformed stored hashes as non-matching instead of throwing', async () => {
    const good = await hashPassword('pw', FAST);
    const [, , salt, hash] = good.split('$');
    const malformed = [
      '',
      'not a hash',
      '$$$',
      `bcrypt$${FAST}$${salt}$${hash}`,
      `pbkdf2-sha256$${FAST}$${salt}`,
      `pbkdf2-sha256$${FAST}$${salt}$${hash}$extra`,
      `pbkdf2-sha256$abc$${salt}$${hash}`,
      `pbkdf2-sha256$-5$${salt}$${hash}`,
      `pbkdf2-sha256$0$${salt}$${hash}`,
      `pbkdf2-sha256$0100$${salt}$${hash}`,
      `pbkdf2-sha256$200000$${salt}$${hash}`,
      `pbkdf2-sha256$${FAST}$***$${hash}`,
      `pbkdf2-sha256$${FAST}$${salt}$`,
      `pbkdf2-sha256$${FAST}$AAAA$${hash}`,
      `pbkdf2-sha256$${FAST}$${salt}$${hash}==`,
    ];
    for (const stored of malformed) {
      expect(await verifyPassword('pw', stored), stored).toEqual({ valid: false, needsRehash: false });
    }
    expect(await verifyPassword('pw', undefined as unknown as string)).toEqual({ valid: false, needsRehash: false });
  });

  it('treats composed and decomposed Unicode as the same password', async () => {
    const stored = await hashPassword('caf\u00e9', FAST);
    expect((await verifyPassword('cafe\u0301', stored)).valid).toBe(true);
  });
});

describe('dummy verification', () => {
  it('uses the production work factor so it costs the same as a real check', () => {
    const match = FORMAT.exec(DUMMY_PASSWORD_HASH);
    expect(match?.[1]).toBe(String(PASSWORD_ITERATIONS));
  });

  it('always fails', async () => {
    expect(await verifyAgainstDummy('anything')).toBe(false);
    expect((await verifyPassword('', DUMMY_PASSWORD_HASH)).valid).toBe(false);
  });
});
