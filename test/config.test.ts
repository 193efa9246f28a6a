import { env } from 'cloudflare:workers';
import { hashPassword, PASSWORD_ITERATIONS } from '@flowspark/auth';
import { loadConfig } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import productionToml from '../wrangler.production.toml?raw';
import localToml from '../wrangler.toml?raw';

/** Table headers such as `[ai]` or `[[vectorize]]`, ignoring comments. */
const tables = (toml: string) =>
  toml
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.startsWith('['));

/** `KEY = value` lines of the `[vars]` table, ignoring comments. */
const vars = (toml: string): Record<string, string> => {
  const out: Record<string, string> = {};
  let inVars = false;
  for (const raw of toml.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line.startsWith('[')) inVars = line === '[vars]';
    const match = inVars ? /^([A-Z0-9_]+)\s*=\s*"([^"]*)"$/.exec(line) : null;
    if (match) out[match[1]!] = match[2]!;
  }
  return out;
};

const REMOTE_ONLY = ['[ai]', '[[vectorize]]', '[browser]', '[[hyperdrive]]', '[[mtls_certificates]]'];

describe('configuration', () => {
  it('the local configuration declares no remote-only binding', () => {
    for (const table of REMOTE_ONLY) expect(tables(localToml)).not.toContain(table);
    expect(localToml).not.toMatch(/^\s*remote\s*=\s*true/m);
    expect(env.AI).toBeUndefined();
    expect(env.VECTORIZE).toBeUndefined();
  });

  it('production adds exactly the AI and Vectorize bindings to the local configuration', () => {
    const local = new Set(tables(localToml));
    const production = tables(productionToml);
    expect(production).toContain('[ai]');
    expect(production).toContain('[[vectorize]]');
    const extra = production.filter((table) => !local.has(table));
    expect(new Set(extra)).toEqual(new Set(['[ai]', '[[vectorize]]', '[observability]']));
    for (const table of local) expect(production).toContain(table);
  });

  it('both configurations use the same compatibility date and flags', () => {
    const line = (toml: string, key: string) => toml.split('\n').find((l) => l.startsWith(`${key} =`));
    for (const key of ['compatibility_date', 'compatibility_flags', 'main', 'name']) {
      expect(line(productionToml, key)).toBe(line(localToml, key));
    }
  });

  it('only production, behind Cloudflare, trusts CF-Connecting-IP', () => {
    expect(vars(productionToml).TRUST_CF_CONNECTING_IP).toBe('true');
    expect(loadConfig(vars(productionToml)).trustCfConnectingIp).toBe(true);
    // Locally a client can send the header itself, so the local configuration must not trust it.
    expect(vars(localToml)).not.toHaveProperty('TRUST_CF_CONNECTING_IP');
    expect(localToml).not.toMatch(/^\s*TRUST_CF_CONNECTING_IP\s*=/m);
    expect(loadConfig(vars(localToml)).trustCfConnectingIp).toBe(false);
    expect(vars(localToml).ENVIRONMENT).toBe('development');
  });

  it('password hashing stays within the production limit of 100,000 PBKDF2 iterations', async () => {
    expect(PASSWORD_ITERATIONS).toBeLessThanOrEqual(100_000);
    const stored = await hashPassword('a password for the limit test');
    const iterations = Number(stored.split('$')[1]);
    expect(iterations).toBe(PASSWORD_ITERATIONS);
    expect(iterations).toBeLessThanOrEqual(100_000);
    await expect(hashPassword('x', 100_001)).rejects.toThrow();
  });
});
