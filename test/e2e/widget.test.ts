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

const request = async (base: string, method: string, path: string, body?: unknown, token?: string) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as { success: boolean; data: any; error?: unknown };
  if (!json.success) throw new Error(`${path}: ${res.status} ${JSON.stringify(json.error)}`);
  return json.data;
};
const post = (base: string, path: string, body: unknown, token?: string) => request(base, 'POST', path, body, token);

const PARKING =
  'Parking and arrival. The visitor parking lot is behind building C, next to the loading dock. ' +
  'Visitors sign in at the front desk.';

describe('the chat widget in a browser', () => {
  it('a visitor asks through the demo page, gets a streamed reply with a citation, reloads and finds the conversation again', async () => {
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
          agent_type: 'rag',
          visibility: 'public',
          allowed_origins: [new URL(base).origin],
          welcome_message: 'Hello from the helpdesk',
          suggested_messages: ['What can you do?'],
          theme: { title: 'Acme help' },
        },
      },
      owner.tokens.access_token,
    );

    // Trained on one text, through the local queue consumer (the jobs Worker).
    const token = owner.tokens.access_token;
    const trained = await post(
      base,
      `/api/v1/bots/${bot.id}/documents/text`,
      { title: 'Visitor guide', text: PARKING },
      token,
    );
    await expect
      .poll(
        async () =>
          (await request(base, 'GET', `/api/v1/bots/${bot.id}/documents/${trained.document.id}`, undefined, token))
            .status,
        {
          timeout: 30_000,
          interval: 200,
        },
      )
      .toBe('indexed');

    const { page, foreign } = await offlinePage(browser, base);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${base}/widget/demo?bot=${bot.public_key}`);
    const widget = page.locator('#flowspark-widget');
    await widget.locator('.launcher').click();
    await expect.poll(() => widget.locator('header .title').innerText()).toBe('Acme help');
    expect(await widget.locator('.welcome').innerText()).toBe('Hello from the helpdesk');

    // Every text the reply's bubble shows on its way, to see it stream in.
    // (A script string: this file is compiled without the DOM's types.)
    await page.evaluate(`(() => {
      const root = document.querySelector('#flowspark-widget').shadowRoot;
      const seen = (window.replyTexts = []);
      new MutationObserver(() => {
        const text = root.querySelector('.msg.assistant:not(.welcome)')?.firstChild?.textContent ?? '';
        if (text && seen.at(-1) !== text) seen.push(text);
      }).observe(root, { subtree: true, childList: true, characterData: true });
    })()`);
    await widget.locator('input').fill('Where is the parking lot?');
    await widget.locator('form button').click();
    const reply = widget.locator('.msg.assistant:not(.welcome)');
    await reply.first().waitFor({ timeout: 15_000 });
    await expect.poll(() => widget.locator('form button').innerText(), { timeout: 15_000 }).toBe('Send');
    const question = await widget.locator('.msg.user').first().innerText();
    const answer = await reply.first().innerText();
    expect(question).toBe('Where is the parking lot?');
    // It streamed: the bubble grew word by word to the reply's text.
    const texts = (await page.evaluate('window.replyTexts')) as string[];
    expect(texts.length).toBeGreaterThan(3);
    for (const [i, text] of texts.entries()) if (i > 0) expect(text.startsWith(texts[i - 1]!)).toBe(true);
    // The reply comes from the bot's document and cites it.
    expect(answer).toContain('behind building C');
    const sources = reply.first().locator('ul.sources li');
    expect(await sources.allInnerTexts()).toEqual(['Visitor guide']);
    expect(await sources.first().getAttribute('title')).toContain('parking lot');

    await page.reload();
    await widget.locator('.launcher').click();
    await expect.poll(() => widget.locator('.msg.user').count(), { timeout: 15_000 }).toBe(1);
    expect(await widget.locator('.msg.user').first().innerText()).toBe('Where is the parking lot?');
    expect(await reply.first().innerText()).toBe(answer);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});
