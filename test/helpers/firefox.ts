// Where the Firefox checks find Firefox, and how they start it: Debian's firefox-esr, driven
// headless by puppeteer-core over WebDriver BiDi (Playwright's Firefox is a patched build it
// must download, which this machine cannot; puppeteer-core downloads nothing).
import { existsSync } from "node:fs";

export const FIREFOX_PATH = process.env.BATCHNORM_WASM_FIREFOX ?? "/usr/bin/firefox-esr";

/** Whether the Firefox checks can run here. */
export const hasFirefox = existsSync(FIREFOX_PATH);

/** Why the Firefox checks are skipped, for the message printed instead of them. */
export const firefoxMissingReason =
  `${FIREFOX_PATH} not found: the Firefox checks (shared bodies on the main thread and in a module worker, ` +
  `SIMD fallback, demo page, sync-batch-norm workers page, threads page, package in Vite/webpack builds) were SKIPPED. ` +
  `Install Debian's firefox-esr (apt-get install firefox-esr), as .ci/run does, to run them.`;

/** puppeteer-core launch options for Debian's Firefox. */
export const firefoxLaunchOptions = {
  browser: "firefox",
  executablePath: FIREFOX_PATH,
  headless: true,
  // Keep it off the network: no update, telemetry or captive-portal checks.
  extraPrefsFirefox: {
    "app.update.enabled": false,
    "network.captive-portal-service.enabled": false,
    "network.connectivity-service.enabled": false,
    "datareporting.policy.dataSubmissionEnabled": false,
    "toolkit.telemetry.enabled": false,
  },
} as const;
