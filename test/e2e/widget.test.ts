import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, offlinePage } from './browser';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const post = async (base: string, path: string, body: unknown, token?: string) => {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { success: boolean; data: any; error?: unknown };
  if (!json.success) throw new Error(`${path}: ${res.status} ${JSON.stringify(json.error)}`);
  return json.data;
};

describe('the chat widget in a browser', () => {
  it('a visitor asks through the demo page, gets the reply, reloads and finds the conversation again', async () => {
    const base = inject('baseUrl');
    const suffix = Math.random().toString(36).slice(2, 8);
    const owner = await post(base, '/api/v1/auth/register', {
      email: `widget-${suffix}@example.com`,
      password: `widget-password-${suffix}`,
      name: 'Widget owner',
      organization_name: `Widget ${suffix}`,
    });
    const bot = await post(
      base,
      '/api/v1/bots',
      {
        name: 'Helpdesk',
        configuration: {
          agent_type: 'plain',
          visibility: 'public',
          allowed_origins: [new URL(base).origin],
          welcome_message: 'Hello from the helpdesk',
          suggested_messages: ['What can you do?'],
          theme: { title: 'Acme help' },
        },
      },
      owner.tokens.access_token,
    );

    const { page, foreign } = await offlinePage(browser, base);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${base}/widget/demo?bot=${bot.public_key}`);
    const widget = page.locator('#flowspark-widget');
    await widget.locator('.launcher').click();
    await expect.poll(() => widget.locator('header .title').innerText()).toBe('Acme help');
    expect(await widget.locator('.welcome').innerText()).toBe('Hello from the helpdesk');

    await widget.locator('input').fill('Where is the parking lot?');
    await widget.locator('form button').click();
    const reply = widget.locator('.msg.assistant:not(.welcome)');
    await reply.first().waitFor({ timeout: 15_000 });
    await expect.poll(() => widget.locator('form button').innerText(), { timeout: 15_000 }).toBe('Send');
    const question = await widget.locator('.msg.user').first().innerText();
    const answer = await reply.first().innerText();
    expect(question).toBe('Where is the parking lot?');
    expect(answer.length).toBeGreaterThan(0);

    await page.reload();
    await widget.locator('.launcher').click();
    await expect.poll(() => widget.locator('.msg.user').count(), { timeout: 15_000 }).toBe(1);
    expect(await widget.locator('.msg.user').first().innerText()).toBe('Where is the parking lot?');
    expect(await reply.first().innerText()).toBe(answer);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});
