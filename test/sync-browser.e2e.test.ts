// SyncBatchNorm in browser Web Workers, in Chromium: the page (test/sync-browser/) is bundled
// with esbuild and served cross-origin isolated (COOP / COEP: SharedArrayBuffer needs it);
// two module workers on uneven shards must give one BatchNorm2d's numbers, and a worker
// that throws must make its peer's call fail naming it (the group watches the Web Worker).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chromiumLaunchOptions, hasChromium } from "./helpers/chromium.js";
import { serveStatic } from "./helpers/static-server.js";

describe.runIf(hasChromium)("SyncBatchNorm in Web Workers (Chromium)", () => {
  it("two module workers equal BatchNorm2d on the whole batch; a worker that throws breaks its peer's call", async () => {
    const { build } = await import("esbuild");
    const { chromium } = await import("playwright");
    const dir = mkdtempSync(join(tmpdir(), "sync-browser-"));
    const browser = await chromium.launch(chromiumLaunchOptions);
    const server = await serveStatic(dir, { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" });
    try {
      const here = join(import.meta.dirname, "sync-browser");
      await build({
        entryPoints: [join(here, "page.ts"), join(here, "worker.ts")], outdir: dir, bundle: true, format: "esm",
        platform: "browser", target: "es2022", logLevel: "warning",
      });
      writeFileSync(join(dir, "index.html"), '<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>');
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(String(e)));
      await page.goto(server.url);
      await page.waitForFunction(() => (window as { __syncResult?: unknown }).__syncResult, null, { timeout: 60_000 });
      const result = await page.evaluate(() => (window as { __syncResult?: unknown }).__syncResult) as {
        error?: string; crossOriginIsolated: boolean; errors: Record<string, number>; failure: string[];
      };
      expect(result.error).toBeUndefined();
      expect(pageErrors).toEqual([]);
      expect(result.crossOriginIsolated).toBe(true);
      for (const [name, err] of Object.entries(result.errors)) expect(err, name).toBeLessThanOrEqual(1e-5);
      expect(Object.keys(result.errors).sort()).toEqual(["dbias", "dweight", "dx", "runningMean", "runningVar", "y"]);
      expect(result.failure[0]).toMatch(/SyncBatchNorm\.forward: the sync group is broken: the worker of rank 1 threw: .*rank 1 fails on purpose/);
      expect(result.failure[1]).toMatch(/rank 1 fails on purpose/);
    } finally {
      await server.close();
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
