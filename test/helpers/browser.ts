/**
 * Headless Chromium for browser tests (HTML report, catalog site), driven by playwright-core with
 * Debian's binary: no browser download. Tests skip with one line when Chromium is absent.
 * Flags: no sandbox (CI runs as root), no GPU, and no background networking, so the browser makes
 * no request of its own on this closed network (playwright gives each launch a fresh profile).
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or null when they can. */
export function browserSkipReason(): string | null {
  return existsSync(CHROMIUM) ? null : `Chromium not found at ${CHROMIUM} (apt-get install chromium); browser test skipped`;
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
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
