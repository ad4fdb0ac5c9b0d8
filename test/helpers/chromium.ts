// Where the browser suites find Chromium, and how they start it. Always Debian's
// /usr/bin/chromium (never a browser Playwright downloads), with the flags that keep it
// off the network on a machine whose outside network is closed.
import { existsSync } from "node:fs";

export const CHROMIUM_PATH = process.env.BATCHNORM_WASM_CHROMIUM ?? "/usr/bin/chromium";

/** Whether the browser suites can run here. */
export const hasChromium = existsSync(CHROMIUM_PATH);

/** Why the browser suites are skipped, for the message printed instead of them. */
export const chromiumMissingReason =
  `${CHROMIUM_PATH} not found: the Chromium suites (shared bodies in Chromium, module worker, SIMD fallback, ` +
  `demo page e2e, sync-batch-norm workers page, package in Vite/webpack builds) were SKIPPED. Install Debian's chromium ` +
  `(apt-get install chromium), as .ci/run does, to run them.`;

export const CHROMIUM_ARGS = [
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Chromium's sandbox refuses to start as root (CI runs as root).
  ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []),
];

/** Playwright launch options for Debian's Chromium. */
export const chromiumLaunchOptions = { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true } as const;
