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

describe('GET /docs in a browser', () => {
  it('renders the interactive reference of /openapi.json with nothing fetched from outside', async () => {
    const baseUrl = inject('baseUrl');
    const { page, foreign } = await offlinePage(browser, baseUrl);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${baseUrl}/docs`);
    // Tags start collapsed (the reference has well over a hundred operations: rendering them all at
    // once stalls the UI); opening a tag shows its operations.
    await expect.poll(() => page.locator('.opblock-tag').count(), { timeout: 15_000 }).toBeGreaterThan(15);
    await page.locator('.opblock-tag[data-tag="Auth"]').click();
    await page.locator('.opblock-summary-path[data-path="/api/v1/auth/me"]').first().waitFor({ timeout: 15_000 });
    await page.locator('.opblock-tag[data-tag="Booklets"]').click();
    await page
      .locator('.opblock-summary-path[data-path="/api/v1/books/{id}/generate"]')
      .first()
      .waitFor({ timeout: 15_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(30);
    expect(await page.locator('.info .title').innerText()).toContain('FlowSpark');
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});
