// SyncBatchNorm in browser Web Workers, in Chromium and in Firefox: the page
// (test/sync-browser/) is bundled with esbuild and served cross-origin isolated (COOP / COEP:
// SharedArrayBuffer needs it); two module workers on uneven shards must give one
// BatchNorm2d's numbers, and a worker that throws must make its peer's call fail naming it
// (the group watches the Web Worker).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINES, withBrowser } from "./helpers/engines.js";
import { serveStatic, type StaticServer } from "./helpers/static-server.js";

describe.runIf(ENGINES.some((e) => e.available))("SyncBatchNorm in Web Workers", () => {
  let dir = "";
  let server: StaticServer;

  beforeAll(async () => {
    const { build } = await import("esbuild");
    dir = mkdtempSync(join(tmpdir(), "sync-browser-"));
    const here = join(import.meta.dirname, "sync-browser");
    await build({
      entryPoints: [join(here, "page.ts"), join(here, "worker.ts")], outdir: dir, bundle: true, format: "esm",
      platform: "browser", target: "es2022", logLevel: "warning",
    });
    writeFileSync(join(dir, "index.html"), '<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>');
    server = await serveStatic(dir, { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const engine of ENGINES) {
    it.runIf(engine.available)(`${engine.label}: two module workers equal BatchNorm2d on the whole batch; a worker that throws breaks its peer's call`, () =>
      withBrowser(engine, async (browser) => {
        const page = await browser.newPage();
        await page.goto(server.url);
        await page.waitFor(() => (window as { __syncResult?: unknown }).__syncResult, 60_000);
        const result = await page.evaluate(() => (window as { __syncResult?: unknown }).__syncResult) as {
          error?: string; crossOriginIsolated: boolean; errors: Record<string, number>; failure: string[];
        };
        expect(result.error).toBeUndefined();
        expect(page.pageErrors).toEqual([]);
        expect(result.crossOriginIsolated).toBe(true);
        for (const [name, err] of Object.entries(result.errors)) expect(err, name).toBeLessThanOrEqual(1e-5);
        expect(Object.keys(result.errors).sort()).toEqual(["dbias", "dweight", "dx", "runningMean", "runningVar", "y"]);
        expect(result.failure[0]).toMatch(/SyncBatchNorm\.forward: the sync group is broken: the worker of rank 1 threw: .*rank 1 fails on purpose/);
        expect(result.failure[1]).toMatch(/rank 1 fails on purpose/);
      }), 120_000);
  }
});
