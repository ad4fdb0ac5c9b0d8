// createThreadedBackend in Chromium, on the main thread of a page bundled with esbuild and
// served by the test's own static server: cross-origin isolated (COOP / COEP), two threads
// with the bits of one (workers from a Blob URL, the main thread's bounded spin wait); without
// the headers, the one-thread fallback saying why.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chromiumLaunchOptions, hasChromium } from "./helpers/chromium.js";
import { serveStatic } from "./helpers/static-server.js";

const ISOLATED = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

describe.runIf(hasChromium)("createThreadedBackend in Chromium", () => {
  it("two threads on an isolated page, one thread (saying why) on a page that is not", async () => {
    const { build } = await import("esbuild");
    const { chromium } = await import("playwright");
    const dir = mkdtempSync(join(tmpdir(), "threads-browser-"));
    const browser = await chromium.launch(chromiumLaunchOptions);
    const servers = [await serveStatic(dir, ISOLATED), await serveStatic(dir)];
    try {
      await build({
        entryPoints: [join(import.meta.dirname, "threads-browser", "page.ts")], outdir: dir, bundle: true, format: "esm",
        platform: "browser", target: "es2022", logLevel: "warning",
      });
      writeFileSync(join(dir, "index.html"), '<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>');
      const results = [];
      for (const server of servers) {
        const page = await browser.newPage();
        await page.goto(server.url);
        await page.waitForFunction(() => (window as { __threads?: unknown }).__threads, null, { timeout: 60_000 });
        results.push(await page.evaluate(() => (window as { __threads?: unknown }).__threads));
      }
      expect(results[0]).toEqual({ threads: 2, info: { build: "simd", shared: true, wait: "spin", fallback: null }, same: true, isolated: true });
      const fallback = results[1] as { threads: number; info: { shared: boolean; fallback: string }; same: boolean; isolated: boolean };
      expect(fallback.isolated).toBe(false);
      expect(fallback.threads).toBe(1);
      expect(fallback.info.shared).toBe(false);
      expect(fallback.info.fallback).toMatch(/cross-origin isolated/);
      expect(fallback.same).toBe(true);
    } finally {
      for (const s of servers) await s.close();
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
