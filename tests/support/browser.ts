// Debian's Chromium driven by playwright-core: no browser download, flags that keep it off the network.
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return fs.existsSync(CHROMIUM_PATH);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Opens `target` (an absolute URL under the simulated Nextcloud) after signing in through Nextcloud's login
 * form as a person would (password = user name in the simulator), and waits until the browser is there.
 */
export async function openAfterLogin(page: Page, nextcloudUrl: string, target: string, user: string): Promise<void> {
  const path = new URL(target).pathname;
  await page.goto(`${nextcloudUrl}/index.php/login?redirect_url=${encodeURIComponent(path)}`);
  await page.fill('#user', user);
  await page.fill('#password', user);
  await Promise.all([page.waitForURL(`**${path}`), page.click('#submit-form')]);
}
