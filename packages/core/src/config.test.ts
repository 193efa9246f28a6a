import { describe, expect, it } from 'vitest';
import { DEFAULT_CREDENTIAL_SHARE, loadConfig } from './config';

describe('rate-limit credential share', () => {
  it('defaults to half of the tenant limit', () => {
    expect(DEFAULT_CREDENTIAL_SHARE).toBe(0.5);
    expect(loadConfig({}).rateLimitCredentialShare).toBe(0.5);
  });

  it('takes any fraction in (0, 1]', () => {
    for (const [raw, share] of [
      ['0.25', 0.25],
      ['.1', 0.1],
      [' 0.75 ', 0.75],
      ['1', 1],
      ['0.001', 0.001],
    ] as const) {
      expect(loadConfig({ RATE_LIMIT_CREDENTIAL_SHARE: raw }).rateLimitCredentialShare, raw).toBe(share);
    }
  });

  it('falls back to the default for nonsense', () => {
    for (const raw of ['', ' ', '0', '-0.5', '1.5', '2', '50%', 'half', 'NaN', 'Infinity', '0x1']) {
      expect(loadConfig({ RATE_LIMIT_CREDENTIAL_SHARE: raw }).rateLimitCredentialShare, raw).toBe(0.5);
    }
  });
});

describe('trusting CF-Connecting-IP', () => {
  it('is off unless the var is exactly true', () => {
    expect(loadConfig({}).trustCfConnectingIp).toBe(false);
    for (const raw of ['', 'false', '0', '1', 'yes', 'on', 'truthy']) {
      expect(loadConfig({ TRUST_CF_CONNECTING_IP: raw }).trustCfConnectingIp, raw).toBe(false);
    }
    for (const raw of ['true', 'TRUE', ' true ']) {
      expect(loadConfig({ TRUST_CF_CONNECTING_IP: raw }).trustCfConnectingIp, raw).toBe(true);
    }
  });
});
