import { env } from 'cloudflare:workers';
import { createDb } from '@flowspark/db';
import {
  integrationToken,
  openToken,
  requireIntegration,
  rotateIntegrationTokens,
  sealToken,
} from '@flowspark/integrations';
import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, expectError, expectOk } from '../helpers/harness';

const INTEGRATIONS = '/api/v1/integrations';
const NOTION_TOKEN = 'ntn_secret_1234567890abcdefWXYZ';
const KEY = (env as unknown as { ENCRYPTION_KEY: string }).ENCRYPTION_KEY;

describe('/integrations', () => {
  it('stores the token encrypted and never returns it; Confluence needs its site and email', async () => {
    const tenant = await createTenant();
    const notion = expectOk(
      await tenant.as('POST', INTEGRATIONS, {
        body: { type: 'notion', name: 'Workspace', credentials: { token: NOTION_TOKEN } },
      }),
      201,
    ).body.data;
    expect(notion).toMatchObject({
      type: 'notion',
      name: 'Workspace',
      credentials: { token_hint: '…WXYZ', base_url: null, email: null },
    });
    expect(JSON.stringify(notion)).not.toContain(NOTION_TOKEN);
    const stored = await env.DB.prepare('SELECT * FROM integrations WHERE id = ?')
      .bind(notion.id)
      .first<Record<string, string>>();
    expect(JSON.stringify(stored)).not.toContain(NOTION_TOKEN);
    expect(stored!.token_encrypted).toMatch(/^v1\./);
    const row = await requireIntegration(createDb(env.DB), tenant.orgId, notion.id);
    expect(await integrationToken({ current: KEY }, row)).toBe(NOTION_TOKEN);

    const confluence = expectOk(
      await tenant.as('POST', INTEGRATIONS, {
        body: {
          type: 'confluence',
          name: 'Wiki',
          credentials: {
            token: 'atl-token-abcdefgh',
            base_url: 'https://acme.atlassian.net/',
            email: 'ops@example.com',
          },
        },
      }),
      201,
    ).body.data;
    expect(confluence.credentials).toEqual({
      token_hint: '…efgh',
      base_url: 'https://acme.atlassian.net/wiki',
      email: 'ops@example.com',
    });
    const bad = expectError(
      await tenant.as('POST', INTEGRATIONS, {
        body: {
          type: 'confluence',
          name: 'Wiki',
          credentials: { token: 'atl-token-abcdefgh', base_url: 'https://evil.example.com' },
        },
      }),
      400,
      'VALIDATION_ERROR',
    );
    expect(Object.keys(bad.body.error.details.fields).sort()).toEqual(['credentials.base_url', 'credentials.email']);
    expectError(
      await tenant.as('POST', INTEGRATIONS, {
        body: { type: 'notion', name: 'x', credentials: { token: NOTION_TOKEN, base_url: 'https://x.atlassian.net' } },
      }),
      400,
      'VALIDATION_ERROR',
    );

    const renamed = expectOk(
      await tenant.as('PUT', `${INTEGRATIONS}/${notion.id}`, {
        body: { name: 'Renamed', credentials: { token: 'ntn_secret_replaced_9876' } },
      }),
    ).body.data;
    expect(renamed).toMatchObject({ name: 'Renamed', credentials: { token_hint: '…9876' } });
    const list = expectOk(await tenant.as('GET', INTEGRATIONS)).body.data;
    expect(list.map((i: any) => i.id)).toEqual([confluence.id, notion.id]);
    expect((await tenant.as('DELETE', `${INTEGRATIONS}/${notion.id}`)).status).toBe(204);
    expectError(await tenant.as('GET', `${INTEGRATIONS}/${notion.id}`), 404, 'NOT_FOUND');
  });

  it('is tenant-isolated and for admins', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const created = expectOk(
      await tenant.as('POST', INTEGRATIONS, {
        body: { type: 'notion', name: 'W', credentials: { token: NOTION_TOKEN } },
      }),
      201,
    ).body.data;
    expectError(await other.as('GET', `${INTEGRATIONS}/${created.id}`), 404, 'NOT_FOUND');
    expectError(await other.as('PUT', `${INTEGRATIONS}/${created.id}`, { body: { name: 'x' } }), 404, 'NOT_FOUND');
    expectError(await other.as('DELETE', `${INTEGRATIONS}/${created.id}`), 404, 'NOT_FOUND');
    expect(expectOk(await other.as('GET', INTEGRATIONS)).body.data).toEqual([]);
    const member = await addMember(tenant, 'member');
    expectError(await call('GET', INTEGRATIONS, { token: member.accessToken }), 403, 'INSUFFICIENT_SCOPE');
    const admin = await addMember(tenant, 'admin');
    expect(expectOk(await call('GET', INTEGRATIONS, { token: admin.accessToken })).body.data).toHaveLength(1);
    expectError(await call('GET', INTEGRATIONS), 401, 'UNAUTHENTICATED');
  });

  it('a wrong key cannot decrypt; a key rotation re-encrypts the tokens under the new key', async () => {
    const oldKey = KEY;
    const newKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const sealed = await sealToken({ current: oldKey }, 'secret-token-1234');
    await expect(openToken({ current: newKey }, sealed)).rejects.toThrow('Could not decrypt a stored secret');
    // A ciphertext swapped under the right fingerprint still fails authentication.
    const forged = { ...sealed, tokenEncrypted: (await sealToken({ current: newKey }, 'x')).tokenEncrypted };
    await expect(openToken({ current: oldKey }, forged)).rejects.toThrow('Could not decrypt a stored secret');

    const tenant = await createTenant();
    const created = expectOk(
      await tenant.as('POST', INTEGRATIONS, {
        body: { type: 'notion', name: 'W', credentials: { token: NOTION_TOKEN } },
      }),
      201,
    ).body.data;
    const db = createDb(env.DB);
    const before = await requireIntegration(db, tenant.orgId, created.id);
    // During the rotation both keys open it; afterwards the new key alone does.
    expect(await integrationToken({ current: newKey, previous: oldKey }, before)).toBe(NOTION_TOKEN);
    let total = 0;
    for (;;) {
      const { reencrypted } = await rotateIntegrationTokens(db, { current: newKey, previous: oldKey });
      total += reencrypted;
      if (reencrypted === 0) break;
    }
    expect(total).toBeGreaterThanOrEqual(1);
    const after = await requireIntegration(db, tenant.orgId, created.id);
    expect(after.tokenEncrypted).not.toBe(before.tokenEncrypted);
    expect(await integrationToken({ current: newKey }, after)).toBe(NOTION_TOKEN);
    await expect(integrationToken({ current: oldKey }, after)).rejects.toThrow('Could not decrypt a stored secret');
    // Put the tenant's token back under the key the other tests use.
    await rotateIntegrationTokens(db, { current: oldKey, previous: newKey });
  });
});
