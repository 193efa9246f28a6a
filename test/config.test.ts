import { env } from 'cloudflare:workers';
import { hashPassword, PASSWORD_ITERATIONS } from '@flowspark/auth';
import { loadConfig } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import jobsProductionToml from '../wrangler.jobs.production.toml?raw';
import jobsLocalToml from '../wrangler.jobs.toml?raw';
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

/** Every `[[header]]` (or `[header]`) block as its `key = value` lines, ignoring comments. */
const blocks = (toml: string, header: string): Record<string, string>[] => {
  const out: Record<string, string>[] = [];
  let current: Record<string, string> | null = null;
  for (const raw of toml.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line.startsWith('[')) {
      current = line === header ? {} : null;
      if (current) out.push(current);
      continue;
    }
    const match = current ? /^([a-z_]+)\s*=\s*(.+)$/.exec(line) : null;
    if (match && current) current[match[1]!] = match[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
};
const topLevel = (toml: string, key: string) => toml.split('\n').find((l) => l.startsWith(`${key} =`));

/** The two Workers, each with its local and production configuration. */
const WORKERS = [
  { worker: 'API', local: localToml, production: productionToml },
  { worker: 'jobs', local: jobsLocalToml, production: jobsProductionToml },
];

const REMOTE_ONLY = ['[ai]', '[[vectorize]]', '[browser]', '[[hyperdrive]]', '[[mtls_certificates]]'];

describe('configuration', () => {
  it.each(WORKERS)('the local configuration of the $worker Worker declares no remote-only binding', ({ local }) => {
    for (const table of REMOTE_ONLY) expect(tables(local)).not.toContain(table);
    expect(local).not.toMatch(/^\s*remote\s*=\s*true/m);
    expect(env.AI).toBeUndefined();
    expect(env.VECTORIZE).toBeUndefined();
  });

  it.each(WORKERS)(
    'production adds exactly the AI and Vectorize bindings to the local configuration of the $worker Worker',
    ({ local: localText, production: productionText }) => {
      const local = new Set(tables(localText));
      const production = tables(productionText);
      expect(production).toContain('[ai]');
      expect(production).toContain('[[vectorize]]');
      const extra = production.filter((table) => !local.has(table));
      expect(new Set(extra)).toEqual(new Set(['[ai]', '[[vectorize]]', '[observability]']));
      for (const table of local) expect(production).toContain(table);
    },
  );

  it.each(WORKERS)(
    'both configurations of the $worker Worker use the same name, entry, compatibility date and flags',
    ({ local, production }) => {
      for (const key of ['compatibility_date', 'compatibility_flags', 'main', 'name']) {
        expect(topLevel(production, key)).toBe(topLevel(local, key));
      }
      for (const header of [
        '[[queues.consumers]]',
        '[[queues.producers]]',
        '[[durable_objects.bindings]]',
        '[[services]]',
        '[[migrations]]',
        '[triggers]',
      ]) {
        expect(blocks(production, header)).toEqual(blocks(local, header));
      }
    },
  );

  it('the two Workers share D1, R2 and the queue; only the jobs Worker consumes it and runs the cron', () => {
    for (const [api, jobs] of [
      [localToml, jobsLocalToml],
      [productionToml, jobsProductionToml],
    ] as const) {
      expect(topLevel(jobs, 'compatibility_date')).toBe(topLevel(api, 'compatibility_date'));
      expect(topLevel(jobs, 'compatibility_flags')).toBe(topLevel(api, 'compatibility_flags'));
      for (const header of ['[[d1_databases]]', '[[r2_buckets]]', '[[queues.producers]]']) {
        expect(blocks(jobs, header)).toEqual(blocks(api, header));
      }
      expect(blocks(api, '[[queues.consumers]]')).toEqual([]);
      expect(tables(api)).not.toContain('[triggers]');
      expect(blocks(jobs, '[[queues.consumers]]').map((c) => c.queue)).toEqual([
        'flowspark-jobs',
        'flowspark-jobs-dlq',
      ]);
      expect(tables(jobs)).toContain('[triggers]');
      // Messages are delivered at once: a job never waits for a batch to fill.
      for (const consumer of blocks(jobs, '[[queues.consumers]]')) expect(consumer.max_batch_timeout).toBe('0');
    }
  });

  it("the API Worker binds the jobs Worker's RPC entrypoint and Durable Objects by its name", () => {
    const jobsName = /^name = "([^"]+)"/m.exec(jobsLocalToml)![1];
    expect(blocks(localToml, '[[services]]')).toEqual([
      { binding: 'JOBS_SERVICE', service: jobsName!, entrypoint: 'JobsService' },
    ]);
    const own = blocks(jobsLocalToml, '[[durable_objects.bindings]]');
    const bound = blocks(localToml, '[[durable_objects.bindings]]').filter((b) => b.script_name);
    expect(bound).toEqual(own.map((b) => ({ ...b, script_name: jobsName! })));
    // Each Worker declares the classes it defines, and only those.
    const declared = (toml: string) => blocks(toml, '[[migrations]]').map((m) => m.new_sqlite_classes);
    expect(declared(localToml)).toEqual(['["RateLimiter"]', '["ChatSession"]']);
    expect(declared(jobsLocalToml)).toEqual([
      '["JobFeed", "LocalVectorIndex"]',
      '["KeywordIndex"]',
      '["TokenWallet"]',
      '["SemanticCache"]',
    ]);
  });

  it("the durable runs (Workflows) are the jobs Worker's, exported by its entry point", async () => {
    const jobsMain = await import('../workers/jobs-main');
    const workflows = blocks(jobsLocalToml, '[[workflows]]');
    expect(workflows.map((w) => w.binding)).toEqual(['WORKFLOW_EXECUTIONS', 'AGENT_RUNS']);
    for (const w of workflows) expect(typeof (jobsMain as Record<string, unknown>)[w.class_name!]).toBe('function');
    expect(blocks(localToml, '[[workflows]]')).toEqual([]);
  });

  it('only production, behind Cloudflare, trusts CF-Connecting-IP', () => {
    expect(vars(productionToml).TRUST_CF_CONNECTING_IP).toBe('true');
    expect(loadConfig(vars(productionToml)).trustCfConnectingIp).toBe(true);
    // Locally a client can send the header itself, so the local configuration must not trust it.
    expect(vars(localToml)).not.toHaveProperty('TRUST_CF_CONNECTING_IP');
    expect(localToml).not.toMatch(/^\s*TRUST_CF_CONNECTING_IP\s*=/m);
    expect(loadConfig(vars(localToml)).trustCfConnectingIp).toBe(false);
    expect(vars(localToml).ENVIRONMENT).toBe('development');
    expect(vars(jobsLocalToml)).not.toHaveProperty('TRUST_CF_CONNECTING_IP');
  });

  it('only the local configuration serves the built-in OIDC issuer', () => {
    expect(vars(localToml).SSO_LOCAL_ISSUER).toBe('true');
    expect(loadConfig(vars(localToml)).ssoLocalIssuer).toBe(true);
    expect(productionToml).not.toMatch(/^\s*SSO_LOCAL_ISSUER\s*=/m);
    expect(loadConfig(vars(productionToml)).ssoLocalIssuer).toBe(false);
    // Even set by mistake, production ignores it.
    expect(loadConfig({ ...vars(productionToml), SSO_LOCAL_ISSUER: 'true' }).ssoLocalIssuer).toBe(false);
    for (const toml of [jobsLocalToml, jobsProductionToml]) expect(vars(toml)).not.toHaveProperty('SSO_LOCAL_ISSUER');
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
