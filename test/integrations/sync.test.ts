import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncIntegrations } from '../../workers/jobs/scheduled';
import { setWebhookFetch } from '../../workers/lib/outbound';
import { addMember, call, createTenant, expectError, expectOk, type TestTenant } from '../helpers/harness';
import { eventually } from '../jobs/helpers';
import { FakeConfluence, FakeNotion, providers } from './fakes';

const INTEGRATIONS = '/api/v1/integrations';
const KB = '/api/v1/kb';

type Sync = {
  id: string;
  status: string;
  trigger: string;
  counts: Record<string, number>;
  errors: { external_id: string | null; code: string; message: string }[];
  error: { code: string; message: string } | null;
};

let notion: FakeNotion;
let confluence: FakeConfluence;

beforeEach(() => {
  notion = new FakeNotion();
  confluence = new FakeConfluence();
  setWebhookFetch(providers(notion, confluence));
});
afterEach(() => setWebhookFetch(null));

const connectNotion = async (tenant: TestTenant, token = notion.token) =>
  expectOk(
    await tenant.as('POST', INTEGRATIONS, { body: { type: 'notion', name: 'Workspace', credentials: { token } } }),
    201,
  ).body.data as { id: string };

const connectConfluence = async (tenant: TestTenant) =>
  expectOk(
    await tenant.as('POST', INTEGRATIONS, {
      body: {
        type: 'confluence',
        name: 'Wiki',
        credentials: { token: confluence.token, base_url: `${confluence.site}/wiki`, email: confluence.email },
      },
    }),
    201,
  ).body.data as { id: string };

/** Waits on the database (polling the API would spend the tenant's rate limit), then reads the sync through it. */
const ended = async (tenant: TestTenant, integrationId: string, syncId: string, timeoutMs = 20_000) => {
  await eventually(async () => {
    const row = await env.DB.prepare('SELECT status FROM integration_syncs WHERE id = ?')
      .bind(syncId)
      .first<{ status: string }>();
    return row && row.status !== 'queued' && row.status !== 'running' ? true : undefined;
  }, timeoutMs);
  return expectOk(await tenant.as('GET', `${INTEGRATIONS}/${integrationId}/syncs/${syncId}`)).body.data as Sync;
};

const importPages = async (tenant: TestTenant, id: string, body: Record<string, unknown>) => {
  const started = expectOk(await tenant.as('POST', `${INTEGRATIONS}/${id}/import`, { body }), 202).body.data as {
    sync: Sync;
    job_id: string;
  };
  return ended(tenant, id, started.sync.id);
};

const syncNow = async (tenant: TestTenant, id: string) => {
  const started = expectOk(await tenant.as('POST', `${INTEGRATIONS}/${id}/sync`), 202).body.data as { sync: Sync };
  expect(started.sync).toMatchObject({ status: 'queued', trigger: 'manual' });
  return ended(tenant, id, started.sync.id);
};

type Page = { external_id: string; title: string; kb_document_id: string | null; status: string; error: unknown };
const pagesOf = async (tenant: TestTenant, id: string) =>
  (expectOk(await tenant.as('GET', `${INTEGRATIONS}/${id}/pages?page_size=100`)).body.data as Page[]).sort((a, b) =>
    a.title.localeCompare(b.title),
  );

type Doc = {
  id: string;
  status: string;
  title: string;
  source_type: string;
  tags: string[];
  indexed_at: string | null;
};
const indexed = async (tenant: TestTenant, documentId: string) => {
  await eventually(async () => {
    const row = await env.DB.prepare('SELECT status FROM kb_documents WHERE id = ?')
      .bind(documentId)
      .first<{ status: string }>();
    if (row?.status === 'failed') throw new Error(`document ${documentId} failed to index`);
    return row?.status === 'indexed' ? true : undefined;
  }, 20_000);
  return expectOk(await tenant.as('GET', `${KB}/documents/${documentId}`)).body.data as Doc;
};

/** The document's stored Markdown (what was indexed). */
const markdownOf = async (tenant: TestTenant, documentId: string) => {
  const row = await env.DB.prepare('SELECT file_key FROM kb_documents WHERE id = ? AND org_id = ?')
    .bind(documentId, tenant.orgId)
    .first<{ file_key: string }>();
  return (await env.FILES.get(row!.file_key))!.text();
};

const search = async (tenant: TestTenant, query: string) =>
  (
    expectOk(await tenant.as('GET', `${KB}/search?mode=keyword&q=${encodeURIComponent(query)}`)).body.data as {
      hits: { document_id: string }[];
    }
  ).hits;

/** A Notion workspace: a handbook with two sub-pages (one inside a toggle), and a page outside it. */
const handbook = () => {
  const root = notion.addPage('Employee Handbook', [
    { type: 'heading_1', text: 'Working hours' },
    {
      type: 'paragraph',
      text: [
        { text: 'Core hours are ' },
        { text: '10:00 to 16:00', bold: true },
        { text: '; see the ' },
        { text: 'policy', href: 'https://intranet.example.com/hours' },
        { text: '.' },
      ],
    },
    {
      type: 'bulleted_list_item',
      text: 'Remote days',
      children: [{ type: 'bulleted_list_item', text: 'Tuesdays and Thursdays are remote by default' }],
    },
    { type: 'numbered_list_item', text: 'Book a desk' },
    { type: 'numbered_list_item', text: 'Badge in' },
    { type: 'to_do', text: 'Sign the handbook', checked: true },
    { type: 'code', text: 'vpn connect --profile office', language: 'bash' },
    {
      type: 'table',
      rows: [
        ['Benefit', 'Amount'],
        ['Gym', '40 EUR'],
        ['Lunch', '8 EUR'],
      ],
    },
    {
      type: 'toggle',
      text: 'Parking',
      children: [{ type: 'paragraph', text: 'Visitor parking is on level minus two.' }],
    },
    { type: 'callout', text: 'Fire drills happen every quarter.' },
    { type: 'image', url: 'https://cdn.example.com/office.png', caption: 'Office map' },
    { type: 'image', url: 'https://s3.example.com/private.png', caption: 'Hosted photo', hosted: true },
    { type: 'unsupported' },
  ]);
  const onboarding = notion.addPage(
    'Onboarding',
    [{ type: 'paragraph', text: 'New joiners meet their buddy on the first Monday.' }],
    { page: root },
  );
  const toggle = notion.blockOf(root, 'toggle');
  const travel = notion.addPage(
    'Travel policy',
    [{ type: 'paragraph', text: 'Trains are preferred over flights under four hours.' }],
    { block: toggle },
  );
  const outside = notion.addPage('Board minutes', [{ type: 'paragraph', text: 'Confidential board quorum notes.' }]);
  return { root, onboarding, travel, outside };
};

describe('Notion import and sync', () => {
  it('imports a page with its sub-pages as Markdown documents, following pagination, and leaves other pages out', async () => {
    const tenant = await createTenant();
    const workspace = handbook();
    notion.pageSize = 2; // every list (search, block children) takes several pages
    const integration = await connectNotion(tenant);

    const sync = await importPages(tenant, integration.id, {
      pages: [`https://www.notion.so/acme/Employee-Handbook-${workspace.root.replace(/-/g, '')}`],
    });
    expect(sync).toMatchObject({ status: 'completed', trigger: 'import', error: null, errors: [] });
    expect(sync.counts).toMatchObject({ pages_seen: 3, created: 3, updated: 0, deleted: 0, failed: 0 });
    expect(notion.requests.filter((r) => r.path === '/v1/search').length).toBeGreaterThan(1);

    const pages = await pagesOf(tenant, integration.id);
    expect(pages.map((p) => p.title)).toEqual(['Employee Handbook', 'Onboarding', 'Travel policy']);
    expect(pages.every((p) => p.status === 'synced' && p.kb_document_id)).toBe(true);
    const sources = expectOk(await tenant.as('GET', `${INTEGRATIONS}/${integration.id}/sources`)).body.data;
    expect(sources).toEqual([
      expect.objectContaining({
        kind: 'page',
        external_id: workspace.root,
        title: 'Employee Handbook',
        status: 'found',
      }),
    ]);

    const root = pages[0]!;
    const doc = await indexed(tenant, root.kb_document_id!);
    expect(doc).toMatchObject({ title: 'Employee Handbook', source_type: 'integration', tags: ['notion'] });
    const markdown = await markdownOf(tenant, doc.id);
    expect(markdown).toContain('# Employee Handbook\n\nSource: https://www.notion.so/Employee-Handbook-');
    expect(markdown).toContain('## Working hours');
    expect(markdown).toContain(
      'Core hours are **10:00 to 16:00**; see the [policy](https://intranet.example.com/hours).',
    );
    expect(markdown).toContain('- Remote days\n  - Tuesdays and Thursdays are remote by default');
    expect(markdown).toContain('1. Book a desk\n\n2. Badge in');
    expect(markdown).toContain('- [x] Sign the handbook');
    expect(markdown).toContain('```bash\nvpn connect --profile office\n```');
    expect(markdown).toContain('| Benefit | Amount |\n| --- | --- |\n| Gym | 40 EUR |\n| Lunch | 8 EUR |');
    expect(markdown).toContain('**Parking**\n\nVisitor parking is on level minus two.');
    expect(markdown).toContain('> Fire drills happen every quarter.');
    expect(markdown).toContain('[Office map](https://cdn.example.com/office.png)');
    // A file Notion hosts has a URL that expires: only its caption is kept.
    expect(markdown).toContain('Hosted photo');
    expect(markdown).not.toContain('X-Amz-Expires');
    expect(markdown).toContain('Sub-page: Onboarding');

    await Promise.all(pages.map((p) => indexed(tenant, p.kb_document_id!)));
    const hits = await search(tenant, 'visitor parking');
    expect(hits[0]?.document_id).toBe(root.kb_document_id);
    expect((await search(tenant, 'trains preferred flights'))[0]?.document_id).toBe(pages[2]!.kb_document_id);
    expect(await search(tenant, 'board quorum')).toEqual([]);
  });

  it('a sync that changes one page of three re-reads and re-indexes only that page', async () => {
    const tenant = await createTenant();
    const workspace = handbook();
    const integration = await connectNotion(tenant);
    await importPages(tenant, integration.id, { pages: [workspace.root] });
    const before = await pagesOf(tenant, integration.id);
    const docs = await Promise.all(before.map((p) => indexed(tenant, p.kb_document_id!)));

    notion.editPage(workspace.onboarding, {
      blocks: [{ type: 'paragraph', text: 'New joiners now meet their mentor on the first Wednesday.' }],
    });
    notion.touchPage(workspace.travel); // edited, but its text is the same
    const mark = notion.requests.length;
    const sync = await syncNow(tenant, integration.id);
    expect(sync.status).toBe('completed');
    expect(sync.counts).toMatchObject({ pages_seen: 3, created: 0, updated: 1, unchanged: 2, deleted: 0, failed: 0 });
    // Only the two pages whose last-edited time moved were read; the handbook's blocks were not.
    expect(notion.blockReadsSince(mark).sort()).toEqual([workspace.onboarding, workspace.travel].sort());

    const after = await pagesOf(tenant, integration.id);
    expect(after.map((p) => p.kb_document_id)).toEqual(before.map((p) => p.kb_document_id));
    const onboarding = after.find((p) => p.title === 'Onboarding')!;
    const reindexed = await indexed(tenant, onboarding.kb_document_id!);
    expect((await search(tenant, 'mentor wednesday'))[0]?.document_id).toBe(onboarding.kb_document_id);
    expect(await search(tenant, 'buddy monday')).toEqual([]);
    // The other two documents were not indexed again.
    const untouched = await Promise.all(
      after.filter((p) => p.title !== 'Onboarding').map((p) => indexed(tenant, p.kb_document_id!)),
    );
    const byId = new Map(docs.map((d) => [d.id, d.indexed_at]));
    for (const doc of untouched) expect(doc.indexed_at).toBe(byId.get(doc.id));
    expect(reindexed.indexed_at).not.toBe(byId.get(reindexed.id));
  });

  it('removes pages that were deleted from Notion, and keeps everything when the listing fails', async () => {
    const tenant = await createTenant();
    const workspace = handbook();
    const integration = await connectNotion(tenant);
    await importPages(tenant, integration.id, { pages: [workspace.root] });
    const pages = await pagesOf(tenant, integration.id);
    await Promise.all(pages.map((p) => indexed(tenant, p.kb_document_id!)));
    const travel = pages.find((p) => p.title === 'Travel policy')!;

    notion.trashPage(workspace.travel);
    const sync = await syncNow(tenant, integration.id);
    expect(sync.counts).toMatchObject({ pages_seen: 2, deleted: 1, unchanged: 2 });
    expectError(await tenant.as('GET', `${KB}/documents/${travel.kb_document_id}`), 404, 'NOT_FOUND');
    expect((await pagesOf(tenant, integration.id)).map((p) => p.title)).toEqual(['Employee Handbook', 'Onboarding']);
    expect(await search(tenant, 'trains preferred flights')).toEqual([]);

    // The token is revoked: the sync fails as a whole and removes nothing.
    notion.token = 'ntn_rotated_secret_0002';
    const refused = await syncNow(tenant, integration.id);
    expect(refused.status).toBe('failed');
    expect(refused.error?.code).toBe('PROVIDER_UNAUTHORIZED');
    expect((await pagesOf(tenant, integration.id)).length).toBe(2);
    const integrationRow = expectOk(await tenant.as('GET', `${INTEGRATIONS}/${integration.id}`)).body.data;
    expect(integrationRow).toMatchObject({ last_sync_status: 'failed' });
    expect(integrationRow.last_synced_at).toBeTruthy();
    const job = expectOk(await tenant.as('GET', `/api/v1/jobs/${(refused as unknown as { job_id: string }).job_id}`))
      .body.data;
    expect(job).toMatchObject({ status: 'error', error_code: 'PROVIDER_UNAUTHORIZED' });
  });

  it('waits out the provider’s 429s as Retry-After asks, and stops when it asks too long', async () => {
    const tenant = await createTenant();
    const workspace = handbook();
    const integration = await connectNotion(tenant);
    notion.limiter.limitNext(2, 1);
    const started = Date.now();
    const sync = await importPages(tenant, integration.id, { pages: [workspace.root] });
    expect(sync.status).toBe('completed');
    expect(sync.counts).toMatchObject({ created: 3, rate_limit_waits: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    // The request after each 429 came at least the second Retry-After asked for later.
    const [first, second, third] = notion.requests;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(990);
    expect(third!.at - second!.at).toBeGreaterThanOrEqual(990);

    notion.editPage(workspace.onboarding, { blocks: [{ type: 'paragraph', text: 'Changed.' }] });
    notion.limiter.limitNext(1, 3_600);
    const stopped = await syncNow(tenant, integration.id);
    expect(stopped.status).toBe('failed');
    expect(stopped.error).toMatchObject({ code: 'PROVIDER_RATE_LIMITED' });
    expect(stopped.error!.message).toContain('3600 s');
    expect((await pagesOf(tenant, integration.id)).length).toBe(3);
  });

  it('logs each page that fails and goes on with the others; the next sync retries it', async () => {
    const tenant = await createTenant();
    const workspace = handbook();
    notion.failingBlocks.add(workspace.onboarding);
    const integration = await connectNotion(tenant);
    const sync = await importPages(tenant, integration.id, {
      pages: [workspace.root, '0123456789abcdef0123456789abcdef'],
    });
    expect(sync.status).toBe('completed_with_errors');
    expect(sync.counts).toMatchObject({ created: 2, failed: 1 });
    expect(sync.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ external_id: workspace.onboarding, code: 'PROVIDER_UNAVAILABLE' }),
        expect.objectContaining({ external_id: '01234567-89ab-cdef-0123-456789abcdef', code: 'SOURCE_NOT_FOUND' }),
      ]),
    );
    const failed = (await pagesOf(tenant, integration.id)).find((p) => p.title === 'Onboarding')!;
    expect(failed).toMatchObject({ status: 'error', kb_document_id: null, error: { code: 'PROVIDER_UNAVAILABLE' } });
    const sources = expectOk(await tenant.as('GET', `${INTEGRATIONS}/${integration.id}/sources`)).body.data as {
      status: string;
    }[];
    expect(sources.map((s) => s.status)).toEqual(['found', 'not_found']);

    notion.failingBlocks.clear();
    const retried = await syncNow(tenant, integration.id);
    expect(retried.counts).toMatchObject({ created: 1, unchanged: 2, failed: 0 });
    const fixed = (await pagesOf(tenant, integration.id)).find((p) => p.title === 'Onboarding')!;
    expect(fixed).toMatchObject({ status: 'synced', error: null });
    expect(fixed.kb_document_id).toBeTruthy();
  });

  it('follows sub-pages through databases, and a document deleted from the knowledge base comes back', async () => {
    const tenant = await createTenant();
    const root = notion.addPage('Projects', [{ type: 'paragraph', text: 'All projects.' }]);
    const database = notion.addDatabase('Roadmap', root);
    notion.addPage('Apollo', [{ type: 'paragraph', text: 'Apollo ships the lunar lander in spring.' }], { database });
    const integration = await connectNotion(tenant);
    const sync = await importPages(tenant, integration.id, { pages: [root] });
    expect(sync.counts).toMatchObject({ created: 2 });
    const apollo = (await pagesOf(tenant, integration.id)).find((p) => p.title === 'Apollo')!;
    await indexed(tenant, apollo.kb_document_id!);
    expectOk(await tenant.as('DELETE', `${KB}/documents/${apollo.kb_document_id}`), 204);

    const again = await syncNow(tenant, integration.id);
    expect(again.counts).toMatchObject({ updated: 1, unchanged: 1 });
    const back = (await pagesOf(tenant, integration.id)).find((p) => p.title === 'Apollo')!;
    expect(back.kb_document_id).not.toBe(apollo.kb_document_id);
    await indexed(tenant, back.kb_document_id!);
  });

  it('removes the pages of a source no longer selected', async () => {
    const tenant = await createTenant();
    const a = notion.addPage('Alpha', [{ type: 'paragraph', text: 'Alpha text.' }]);
    const b = notion.addPage('Beta', [{ type: 'paragraph', text: 'Beta text.' }]);
    const integration = await connectNotion(tenant);
    await importPages(tenant, integration.id, { pages: [a, b] });
    const pages = await pagesOf(tenant, integration.id);
    await Promise.all(pages.map((p) => indexed(tenant, p.kb_document_id!)));
    const sources = expectOk(await tenant.as('GET', `${INTEGRATIONS}/${integration.id}/sources`)).body.data as {
      id: string;
      external_id: string;
    }[];
    const beta = sources.find((s) => s.external_id === b)!;
    expectOk(await tenant.as('DELETE', `${INTEGRATIONS}/${integration.id}/sources/${beta.id}`), 204);
    const sync = await syncNow(tenant, integration.id);
    expect(sync.counts).toMatchObject({ deleted: 1, unchanged: 1 });
    expect((await pagesOf(tenant, integration.id)).map((p) => p.title)).toEqual(['Alpha']);
  });
});

describe('Confluence import and sync', () => {
  const STORAGE = [
    '<h1>Deploying</h1>',
    '<p>Run the <strong>release</strong> train every <em>Tuesday</em>. See <a href="https://status.example.com">status</a>.</p>',
    '<ac:structured-macro ac:name="code" ac:schema-version="1"><ac:parameter ac:name="language">bash</ac:parameter>',
    '<ac:plain-text-body><![CDATA[make deploy ENV=prod && echo "<done>"]]></ac:plain-text-body></ac:structured-macro>',
    '<ac:structured-macro ac:name="warning"><ac:rich-text-body><p>Never deploy on Fridays.</p></ac:rich-text-body></ac:structured-macro>',
    '<table><tbody><tr><th>Service</th><th>Owner</th></tr><tr><td>API</td><td>Platform &amp; Ops</td></tr></tbody></table>',
    '<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>complete</ac:task-status><ac:task-body>Tag the build</ac:task-body></ac:task></ac:task-list>',
    '<p>Owner: <ac:link><ri:page ri:content-title="Team directory" /></ac:link></p>',
    '<ul><li>Canary first<ul><li>Then 10&nbsp;%</li></ul></li><li>Then everyone</li></ul>',
  ].join('');

  it('imports a space (paginated) and a page of another space; a sync re-reads only the changed page and removes a trashed one', async () => {
    const tenant = await createTenant();
    confluence.pageSize = 2;
    confluence.addSpace('ENG', 'Engineering');
    confluence.addSpace('HR', 'People');
    const deploy = confluence.addPage('ENG', 'Deploy guide', STORAGE);
    const oncall = confluence.addPage('ENG', 'On-call', '<p>The on-call rotation changes every Monday.</p>', deploy);
    const glossary = confluence.addPage('ENG', 'Glossary', '<p>SLO means service level objective.</p>');
    const leave = confluence.addPage('HR', 'Leave policy', '<p>Parental leave lasts sixteen weeks.</p>');
    confluence.addPage('HR', 'Salaries', '<p>Salary bands are private.</p>');
    const integration = await connectConfluence(tenant);

    const sync = await importPages(tenant, integration.id, { spaces: ['ENG'], pages: [leave] });
    expect(sync).toMatchObject({ status: 'completed', errors: [] });
    expect(sync.counts).toMatchObject({ pages_seen: 4, created: 4 });
    const pages = await pagesOf(tenant, integration.id);
    expect(pages.map((p) => p.title)).toEqual(['Deploy guide', 'Glossary', 'Leave policy', 'On-call']);
    const sources = expectOk(await tenant.as('GET', `${INTEGRATIONS}/${integration.id}/sources`)).body.data as {
      kind: string;
    }[];
    expect(sources.sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
      expect.objectContaining({ kind: 'page', external_id: leave, title: 'Leave policy', status: 'found' }),
      expect.objectContaining({ kind: 'space', external_id: 'ENG', title: 'Engineering', status: 'found' }),
    ]);

    const guide = await indexed(tenant, pages[0]!.kb_document_id!);
    expect(guide).toMatchObject({ source_type: 'integration', tags: ['confluence'] });
    const markdown = await markdownOf(tenant, guide.id);
    expect(markdown).toContain(
      `# Deploy guide\n\nSource: ${confluence.site}/wiki/spaces/ENG/pages/${deploy}/Deploy+guide`,
    );
    expect(markdown).toContain('## Deploying');
    expect(markdown).toContain('Run the **release** train every *Tuesday*. See [status](https://status.example.com).');
    expect(markdown).toContain('```bash\nmake deploy ENV=prod && echo "<done>"\n```');
    expect(markdown).toContain('> **Warning**\n>\n> Never deploy on Fridays.');
    expect(markdown).toContain('| Service | Owner |\n| --- | --- |\n| API | Platform & Ops |');
    expect(markdown).toContain('- [x] Tag the build');
    expect(markdown).toContain('Owner: Team directory');
    expect(markdown).toContain('- Canary first\n  - Then 10 %\n- Then everyone');

    await Promise.all(pages.map((p) => indexed(tenant, p.kb_document_id!)));
    confluence.editPage(oncall, { body: '<p>The on-call rotation now changes every Thursday.</p>' });
    confluence.trashPage(glossary);
    const mark = confluence.requests.length;
    const again = await syncNow(tenant, integration.id);
    expect(again.counts).toMatchObject({ pages_seen: 3, updated: 1, unchanged: 2, deleted: 1, created: 0 });
    expect(confluence.bodyReadsSince(mark)).toEqual([oncall]);
    const after = await pagesOf(tenant, integration.id);
    expect(after.map((p) => p.title)).toEqual(['Deploy guide', 'Leave policy', 'On-call']);
    await indexed(tenant, after[2]!.kb_document_id!);
    expect((await search(tenant, 'rotation thursday'))[0]?.document_id).toBe(after[2]!.kb_document_id);
    expect(await search(tenant, 'SLO')).toEqual([]);
  });

  it('waits out a 429 from Confluence, and a space that does not exist is logged', async () => {
    const tenant = await createTenant();
    confluence.addSpace('ENG', 'Engineering');
    confluence.addPage('ENG', 'Runbook', '<p>Restart the worker.</p>');
    confluence.limiter.limitNext(1, 1);
    const integration = await connectConfluence(tenant);
    const sync = await importPages(tenant, integration.id, { spaces: ['ENG', 'NOPE'] });
    expect(sync.status).toBe('completed_with_errors');
    expect(sync.counts).toMatchObject({ created: 1, rate_limit_waits: 1 });
    expect(sync.errors).toEqual([expect.objectContaining({ external_id: 'NOPE', code: 'SOURCE_NOT_FOUND' })]);
  });
});

describe('integration sync routes', () => {
  it('validates the selection by provider, refuses a second live sync, and needs something imported', async () => {
    const tenant = await createTenant();
    const integration = await connectNotion(tenant);
    const path = `${INTEGRATIONS}/${integration.id}`;
    expectError(await tenant.as('POST', `${path}/sync`), 409, 'CONFLICT');
    const bad = expectError(
      await tenant.as('POST', `${path}/import`, { body: { pages: ['not-a-page'], spaces: ['ENG'] } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(Object.keys(bad.body.error.details.fields).sort()).toEqual(['pages.0', 'spaces.0']);
    expectError(await tenant.as('POST', `${path}/import`, { body: {} }), 400, 'VALIDATION_ERROR');

    const page = notion.addPage('Alpha', [{ type: 'paragraph', text: 'Alpha text.' }]);
    let release!: () => void;
    notion.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const started = expectOk(await tenant.as('POST', `${path}/import`, { body: { pages: [page] } }), 202).body.data;
    const busy = expectError(await tenant.as('POST', `${path}/sync`), 409, 'CONFLICT');
    expect(busy.body.error.details).toEqual({ sync_id: started.sync.id });
    expectError(await tenant.as('POST', `${path}/import`, { body: { pages: [page] } }), 409, 'CONFLICT');
    release();
    notion.hold = null;
    expect((await ended(tenant, integration.id, started.sync.id)).status).toBe('completed');
    const log = expectOk(await tenant.as('GET', `${path}/syncs`)).body;
    expect(log.data.map((s: Sync) => s.id)).toEqual([started.sync.id]);

    const confluenceOne = await connectConfluence(tenant);
    const refused = expectError(
      await tenant.as('POST', `${INTEGRATIONS}/${confluenceOne.id}/import`, { body: { pages: ['12ab'] } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(refused.body.error.details.fields['pages.0']).toBeDefined();
  });

  it('keeps tenants apart and checks scopes', async () => {
    const owner = await createTenant();
    const other = await createTenant();
    const page = notion.addPage('Alpha', [{ type: 'paragraph', text: 'Alpha text.' }]);
    const integration = await connectNotion(owner);
    const sync = await importPages(owner, integration.id, { pages: [page] });
    const path = `${INTEGRATIONS}/${integration.id}`;
    for (const [method, url] of [
      ['POST', `${path}/sync`],
      ['GET', `${path}/sources`],
      ['GET', `${path}/pages`],
      ['GET', `${path}/syncs`],
      ['GET', `${path}/syncs/${sync.id}`],
    ] as const) {
      expectError(await other.as(method, url), 404, 'NOT_FOUND');
    }
    expectError(await other.as('POST', `${path}/import`, { body: { pages: [page] } }), 404, 'NOT_FOUND');
    const member = await addMember(owner, 'member');
    expectError(await call('POST', `${path}/sync`, { token: member.accessToken }), 403, 'INSUFFICIENT_SCOPE');
  });

  it('the cron syncs integrations whose last sync is older than the interval, once', async () => {
    const tenant = await createTenant();
    const page = notion.addPage('Alpha', [{ type: 'paragraph', text: 'Alpha text.' }]);
    const integration = await connectNotion(tenant);
    await importPages(tenant, integration.id, { pages: [page] });
    const cronEnv = { ...env, INTEGRATION_SYNC_MINUTES: '30' } as unknown as Parameters<typeof syncIntegrations>[0];
    expect(await syncIntegrations(cronEnv, new Date(Date.now() + 10 * 60_000))).toBe(0);
    const later = new Date(Date.now() + 31 * 60_000);
    const first = await syncIntegrations(cronEnv, later);
    expect(first).toBeGreaterThanOrEqual(1);
    const cron = await eventually(async () => {
      const row = await env.DB.prepare("SELECT id FROM integration_syncs WHERE integration_id = ? AND trigger = 'cron'")
        .bind(integration.id)
        .first<{ id: string }>();
      return row?.id;
    });
    expect(await ended(tenant, integration.id, cron)).toMatchObject({
      status: 'completed',
      trigger: 'cron',
      counts: expect.objectContaining({ unchanged: 1 }),
    });
    const log = expectOk(await tenant.as('GET', `${INTEGRATIONS}/${integration.id}/syncs`)).body.data as Sync[];
    expect(log.map((s) => s.trigger)).toEqual(['cron', 'import']);
    const off = { ...env, INTEGRATION_SYNC_MINUTES: '0' } as unknown as Parameters<typeof syncIntegrations>[0];
    expect(await syncIntegrations(off, new Date(Date.now() + 24 * 60 * 60_000))).toBe(0);
  });

  it('a token that no key opens fails the sync with TOKEN_UNREADABLE', async () => {
    const tenant = await createTenant();
    const page = notion.addPage('Alpha', [{ type: 'paragraph', text: 'Alpha text.' }]);
    const integration = await connectNotion(tenant);
    await env.DB.prepare("UPDATE integrations SET key_fingerprint = 'ffffffffffffffff' WHERE id = ?")
      .bind(integration.id)
      .run();
    const sync = await importPages(tenant, integration.id, { pages: [page] });
    expect(sync).toMatchObject({ status: 'failed', error: { code: 'TOKEN_UNREADABLE' } });
    expect(notion.requests).toEqual([]);
  });
});
