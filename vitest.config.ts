// Two kinds of suites: Node (test/**/*.test.ts) and headless Chromium
// (test/browser/**/*.browser.test.ts, through vitest's browser mode). The Chromium project,
// and the Node-side tests that drive Chromium (package consumers in Vite/webpack builds,
// the demo page), run only where Debian's /usr/bin/chromium exists; elsewhere the run says
// so at its start and at its end. .ci/run sets BATCHNORM_WASM_REQUIRE_CHROMIUM=1, so CI
// fails instead of skipping.
import { defineConfig } from "vitest/config";
import { playwright } from "@vitest/browser-playwright";
import { chromiumLaunchOptions, chromiumMissingReason, hasChromium } from "./test/helpers/chromium.js";

if (!hasChromium) {
  if (process.env.BATCHNORM_WASM_REQUIRE_CHROMIUM === "1") {
    throw new Error(`BATCHNORM_WASM_REQUIRE_CHROMIUM=1 but ${chromiumMissingReason}`);
  }
  // The config is evaluated more than once per run; say it once.
  if (!process.env.BATCHNORM_WASM_NOTICE_SHOWN) console.warn(`\n[batchnorm-wasm] ${chromiumMissingReason}\n`);
  process.env.BATCHNORM_WASM_NOTICE_SHOWN = "1";
}

/** Repeats the notice after the summary, where it cannot scroll away unseen. */
const browserSkipNotice = {
  onTestRunEnd() {
    console.log(`\n[batchnorm-wasm] Node suites only. ${chromiumMissingReason}\n`);
  },
};

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: hasChromium ? ["default"] : ["default", browserSkipNotice],
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
