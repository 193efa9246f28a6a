import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const out = mkdtempSync(join(tmpdir(), 'examples-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Runs a script as a user would (`npx tsx <script>`) against the test server: its standard output. */
const run = async (script: string, args: string[] = []) => {
  const { stdout } = await promisify(execFile)(tsx, [script, ...args], {
    cwd: root,
    env: { ...process.env, API_URL: inject('baseUrl'), FLOWSPARK_API_KEY: '' },
    timeout: 25_000,
  });
  return stdout;
};

describe.concurrent('examples/ and npm run seed, against the local server', () => {
  it('examples/generate-document.ts generates a DOCX and saves it', async () => {
    const stdout = await run('examples/generate-document.ts', [out]);
    const saved = /saved (.+\.docx) \((\d+) bytes, application\/vnd\.openxmlformats/.exec(stdout);
    expect(saved, stdout).not.toBeNull();
    const bytes = readFileSync(saved![1]!);
    expect(bytes.length).toBe(Number(saved![2]));
    expect(bytes.subarray(0, 2).toString()).toBe('PK');
  });

  it('examples/ask-knowledge-base.ts indexes a text and streams an answer citing it', async () => {
    const stdout = await run('examples/ask-knowledge-base.ts', ['How much may a hotel cost a night?']);
    expect(stdout).toMatch(/^indexed kbd_\w+ "Travel policy"$/m);
    expect(stdout).toMatch(/^A: .*150 euros/m);
    expect(stdout).toMatch(/^ {2}\[Travel policy\] /m);
    expect(stdout).toMatch(/^\(\d+ tokens, query kbq_\w+\)$/m);
  });

  it('examples/job-feed.ts opens the feed and prints its image job to the end', async () => {
    const stdout = await run('examples/job-feed.ts');
    const job = /^image img_\w+: job (job_\w+)$/m.exec(stdout)?.[1];
    expect(job, stdout).toBeDefined();
    expect(stdout).toMatch(/^feed open/m);
    expect(stdout).toContain(`${job} job.status done 100%`);
    expect(stdout.trimEnd().endsWith('feed closed')).toBe(true);
  });

  it('npm run seed (scripts/seed.ts) creates the demo organization, key and a trained public bot', async () => {
    const stdout = await run('scripts/seed.ts');
    expect(stdout).toMatch(/^API key: +fsk_\w+$/m);
    expect(stdout).toMatch(/^Trained on: +"FlowSpark Edge in short" \(indexed\)$/m);
    const key = /^API key: +(fsk_\w+)$/m.exec(stdout)![1];
    const me = await fetch(`${inject('baseUrl')}/api/v1/auth/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(me.status).toBe(200);
  });
});
