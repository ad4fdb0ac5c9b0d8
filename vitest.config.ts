// Two kinds of suites: Node (test/**/*.test.ts) and headless Chromium
// (test/browser/**/*.browser.test.ts, through vitest's browser mode). The Chromium project,
// and the Node-side tests that drive a browser (package consumers in Vite/webpack builds,
// the demo page, the sync-batch-norm workers page, and test/firefox.e2e.test.ts, which runs
// the browser suites' bodies in Firefox), run only for the engines installed here
// (test/helpers/engines.ts: Debian's /usr/bin/chromium and /usr/bin/firefox-esr); for a
// missing one the run says so at its start and at its end. .ci/run sets
// BATCHNORM_WASM_REQUIRE_CHROMIUM=1 and BATCHNORM_WASM_REQUIRE_FIREFOX=1, so CI fails instead.
import { defineConfig } from "vitest/config";
import { playwright } from "@vitest/browser-playwright";
import { chromiumLaunchOptions, hasChromium } from "./test/helpers/chromium.js";
import { ENGINES } from "./test/helpers/engines.js";

const missing = ENGINES.filter((e) => !e.available);
for (const engine of missing) {
  if (process.env[engine.requiredBy] === "1") throw new Error(`${engine.requiredBy}=1 but ${engine.missingReason}`);
  // The config is evaluated more than once per run; say it once.
  if (!process.env.BATCHNORM_WASM_NOTICE_SHOWN) console.warn(`\n[batchnorm-wasm] ${engine.missingReason}\n`);
}
process.env.BATCHNORM_WASM_NOTICE_SHOWN = "1";

/** Repeats the notices after the summary, where they cannot scroll away unseen. */
const browserSkipNotice = {
  onTestRunEnd() {
    for (const engine of missing) console.log(`\n[batchnorm-wasm] ${engine.label} checks skipped. ${engine.missingReason}\n`);
  },
};

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: missing.length === 0 ? ["default"] : ["default", browserSkipNotice],
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/browser/**", "**/node_modules/**"],
        },
      },
      ...(hasChromium
        ? [
            {
              extends: true,
              test: {
                name: "chromium",
                include: ["test/browser/**/*.browser.test.ts"],
                browser: {
                  enabled: true,
                  headless: true,
                  provider: playwright({ launchOptions: chromiumLaunchOptions }),
                  instances: [{ browser: "chromium" as const }],
                  screenshotFailures: false,
                },
              },
            },
          ]
        : []),
    ],
  },
});
