// Two kinds of suites: Node (test/**/*.test.ts) and headless Chromium
// (test/browser/**/*.browser.test.ts, through vitest's browser mode). The Chromium project
// runs only where Debian's /usr/bin/chromium exists; elsewhere this says so plainly.
import { defineConfig } from "vitest/config";
import { playwright } from "@vitest/browser-playwright";
import { chromiumLaunchOptions, chromiumMissingReason, hasChromium } from "./test/helpers/chromium.js";

if (!hasChromium) console.warn(`\n[batchnorm-wasm] ${chromiumMissingReason}\n`);

export default defineConfig({
  test: {
    testTimeout: 60_000,
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
