// Debian's Chromium, driven by playwright-core (its own browser download cannot run here).

import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Launch headless Chromium with the flags a closed network and a root sandbox need. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium), as .ci/run does`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
      // Deliver Reporting API reports within a second instead of batching them for a minute.
      "--short-reporting-delay",
      // Miniflare's https uses a self-signed certificate; the Reporting API's uploads must accept it too.
      "--ignore-certificate-errors",
    ],
  });
}
