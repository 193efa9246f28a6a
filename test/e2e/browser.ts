import { type Browser, chromium, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const launchBrowser = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });

/**
 * A page that may only talk to the local server: every other request is refused and recorded, so a
 * test proves the page works offline (no CDN, no third party).
 */
export const offlinePage = async (browser: Browser, baseUrl: string): Promise<{ page: Page; foreign: string[] }> => {
  const context = await browser.newContext();
  const foreign: string[] = [];
  const origin = new URL(baseUrl).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  return { page: await context.newPage(), foreign };
};
