// createThreadedBackend in Chromium and in Firefox (test/helpers/engines.ts), on the main
// thread of a page bundled with esbuild and served by the test's own static server: cross-
// origin isolated (COOP / COEP), two threads with the bits of one and of Node (workers from a
// Blob URL; a page's main thread may not Atomics.wait in Firefox, nor is it relied on in
// Chromium: the bounded spin wait); without the headers, the one-thread fallback saying why.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBackend } from "../src/index.js";
import { ENGINES, withBrowser } from "./helpers/engines.js";
import { serveStatic, type StaticServer } from "./helpers/static-server.js";
import { stepDigest } from "./threads-browser/step.js";

const ISOLATED = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

interface PageResult { threads: number; info: { shared: boolean; fallback: string | null }; same: boolean; digest: string; isolated: boolean }

describe.runIf(ENGINES.some((e) => e.available))("createThreadedBackend on a page", () => {
  let dir = "";
  let servers: StaticServer[] = [];

  beforeAll(async () => {
    const { build } = await import("esbuild");
    dir = mkdtempSync(join(tmpdir(), "threads-browser-"));
    await build({
      entryPoints: [join(import.meta.dirname, "threads-browser", "page.ts")], outdir: dir, bundle: true, format: "esm",
      platform: "browser", target: "es2022", logLevel: "warning",
    });
    writeFileSync(join(dir, "index.html"), '<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>');
    servers = [await serveStatic(dir, ISOLATED), await serveStatic(dir)];
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) await s.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const engine of ENGINES) {
    it.runIf(engine.available)(`${engine.label}: two threads on an isolated page (Node's bits), one thread (saying why) on a page that is not`, () =>
      withBrowser(engine, async (browser) => {
        const results: PageResult[] = [];
        for (const server of servers) {
          const page = await browser.newPage();
          await page.goto(server.url);
          await page.waitFor(() => (window as { __threads?: unknown }).__threads, 60_000);
          results.push(await page.evaluate(() => (window as { __threads?: unknown }).__threads) as PageResult);
          expect(page.pageErrors).toEqual([]);
          await page.close();
        }
        const inNode = stepDigest(createBackend());
        expect(results[0]).toEqual({
          threads: 2, info: { build: "simd", shared: true, wait: "spin", fallback: null }, same: true, digest: inNode, isolated: true,
        });
        const fallback = results[1];
        expect(fallback.isolated).toBe(false);
        expect(fallback.threads).toBe(1);
        expect(fallback.info.shared).toBe(false);
        expect(fallback.info.fallback).toMatch(/cross-origin isolated/);
        expect(fallback.same).toBe(true);
        expect(fallback.digest, "the numbers, against Node's").toBe(inNode);
      }), 120_000);
  }
});
