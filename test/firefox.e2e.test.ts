// The shared bodies (test/bodies/) in Firefox, which vitest's browser mode cannot drive here:
// bundled with esbuild (test/firefox/bundle.ts) into a page served on loopback and opened in
// Debian's firefox-esr through puppeteer-core. Every list runs on every backend on the page's
// main thread and in a module worker, each test is reported here as a test of its own, and
// each must pass and have checked the same numbers, bit for bit, as the same test in Node
// (the digest of test/helpers/digest.ts: same builds, same inputs, same bits).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "./helpers/backends.js";
import { collect, runTests, type TestResult } from "./helpers/collector.js";
import { FIREFOX, type EngineBrowser, type EnginePage } from "./helpers/engines.js";
import { serveStatic, type StaticServer } from "./helpers/static-server.js";
import { bundlePages } from "./firefox/bundle.js";
import type { BodiesPage } from "./firefox/bodies-page.js";
import { BODY_LISTS, type BodyList } from "./browser/workers/body-lists.js";

/** A whole list on one backend takes seconds; a shared machine gets far longer. */
const LIST_TIMEOUT = 150_000;

const lists = Object.keys(BODY_LISTS) as BodyList[];
const places = ["main thread", "module worker"] as const;

describe.runIf(FIREFOX.available)("shared bodies in Firefox", () => {
  let dir = "";
  let server: StaticServer;
  let browser: EngineBrowser;
  let page: EnginePage;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "batchnorm-wasm-firefox-"));
    await bundlePages(dir, { "bodies-page": "firefox/bodies-page.ts", "bodies.worker": "browser/workers/bodies.worker.ts" });
    writeFileSync(join(dir, "index.html"), '<!doctype html><meta charset="utf-8"><script type="module" src="./bodies-page.js"></script>');
    server = await serveStatic(dir);
    browser = await FIREFOX.launch();
    page = await browser.newPage();
    await page.goto(server.url);
    await page.waitFor(() => (window as { __bodies?: unknown }).__bodies, 60_000);
  }, 180_000);

  afterAll(async () => {
    await page?.close();
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("is Firefox with WebAssembly SIMD, and the page raised no errors", async () => {
    const engine = await page.evaluate(() => (window as unknown as { __bodies: BodiesPage }).__bodies.engine());
    expect(engine.userAgent).toMatch(/Firefox\/\d+/);
    expect(engine.simdSupported, "Firefox validates the SIMD build").toBe(true);
    expect(page.pageErrors).toEqual([]);
  });

  describe.each(lists)("%s bodies", (list) => {
    describe.each(BACKENDS.map((b) => [b.name, b] as const))("%s backend", (backend, b) => {
      const names = collect(() => BODY_LISTS[list](b)).map((t) => t.name);
      let inNode: TestResult[] = [];
      beforeAll(async () => {
        inNode = await runTests(collect(() => BODY_LISTS[list](b)));
      }, LIST_TIMEOUT);

      describe.each(places)("Firefox, %s", (place) => {
        let results: TestResult[] = [];
        beforeAll(async () => {
          const ask = { list, backend, timeoutMs: LIST_TIMEOUT - 10_000, worker: place === "module worker" };
          const answer = await page.evaluate(async (a) => {
            const p = (window as unknown as { __bodies: BodiesPage }).__bodies;
            return a.worker ? p.inModuleWorker(a.list, a.backend, a.timeoutMs) : { isWorker: false, moduleWorker: false, results: await p.onMainThread(a.list, a.backend) };
          }, ask);
          expect(answer.isWorker && answer.moduleWorker, `ran in a module worker`).toBe(place === "module worker");
          results = answer.results;
        }, LIST_TIMEOUT);

        it("ran Node's list of tests in its order", () => {
          expect(names.length).toBeGreaterThan(0);
          expect(results.map((r) => r.name)).toEqual(names);
        });

        it.each(names.map((n, i) => [n, i] as const))("%s", (_n, i) => {
          const r = results[i];
          expect(r, "Firefox ran this test").toBeDefined();
          if (!r.ok) throw new Error(`in Firefox: ${r.error}`);
          expect(inNode[i].ok, `in Node: ${inNode[i].error}`).toBe(true);
          expect(r.digest, "the numbers it checked, against Node's").toBe(inNode[i].digest);
        });
      });
    });
  });
});
