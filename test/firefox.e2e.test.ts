// The browser suites of test/browser/ in Firefox, which vitest's browser mode cannot drive
// here: their bodies bundled with esbuild (test/firefox/bundle.ts) into pages served on
// loopback and opened in Debian's firefox-esr through puppeteer-core (test/helpers/engines.ts).
// - The shared bodies (test/bodies/): every list on every backend, on the page's main thread
//   and in a module worker; each test is reported here as a test of its own, and each must
//   pass and have checked the same numbers, bit for bit, as the same test run in Node (the
//   digest of test/helpers/digest.ts: same builds, same inputs, same bits).
// - The SIMD-refused fallback (test/browser/fallback-suite.ts), on a page of its own.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "./helpers/backends.js";
import { collect, runTests, type CollectedTest, type TestResult } from "./helpers/collector.js";
import { FIREFOX, type EngineBrowser, type EnginePage } from "./helpers/engines.js";
import { serveStatic, type StaticServer } from "./helpers/static-server.js";
import { bundlePages } from "./firefox/bundle.js";
import type { BodiesPage } from "./firefox/bodies-page.js";
import { fallbackSuite } from "./browser/fallback-suite.js";
import { BODY_LISTS, type BodyList } from "./browser/workers/body-lists.js";

/** A whole list on one backend takes seconds; a shared machine gets far longer. */
const LIST_TIMEOUT = 150_000;

const lists = Object.keys(BODY_LISTS) as BodyList[];
const places = ["main thread", "module worker"] as const;

/** One vitest test per test the page ran (listed here, in Node, by the same collector). */
function reportEach(tests: readonly CollectedTest[], results: () => TestResult[], inNode?: () => TestResult[]) {
  const names = tests.map((t) => t.name);
  it("ran the list of tests listed here, in its order", () => {
    expect(names.length).toBeGreaterThan(0);
    expect(results().map((r) => r.name)).toEqual(names);
  });
  it.each(names.map((n, i) => [n, i] as const))("%s", (_n, i) => {
    const r = results()[i];
    expect(r, "Firefox ran this test").toBeDefined();
    if (!r.ok) throw new Error(`in Firefox: ${r.error}`);
    if (!inNode) return;
    const node = inNode()[i];
    expect(node.ok, `in Node: ${node.error}`).toBe(true);
    expect(r.digest, "the numbers it checked, against Node's").toBe(node.digest);
  });
}

describe.runIf(FIREFOX.available)("Firefox", () => {
  let dir = "";
  let server: StaticServer;
  let browser: EngineBrowser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "batchnorm-wasm-firefox-"));
    await bundlePages(dir, {
      "bodies-page": "firefox/bodies-page.ts", "bodies.worker": "browser/workers/bodies.worker.ts",
      "fallback-page": "firefox/fallback-page.ts", "batchnorm.worker": "browser/workers/batchnorm.worker.ts",
    });
    const html = (script: string) => `<!doctype html><meta charset="utf-8"><script type="module" src="./${script}"></script>`;
    writeFileSync(join(dir, "index.html"), html("bodies-page.js"));
    writeFileSync(join(dir, "fallback.html"), html("fallback-page.js"));
    server = await serveStatic(dir);
    browser = await FIREFOX.launch();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(path: string, ready: () => unknown): Promise<EnginePage> {
    const page = await browser.newPage();
    await page.goto(server.url + path);
    await page.waitFor(ready, 60_000);
    return page;
  }

  describe("shared bodies", () => {
    let page: EnginePage;
    beforeAll(async () => {
      page = await open("", () => (window as { __bodies?: unknown }).__bodies);
    }, 120_000);
    afterAll(async () => page?.close());

    it("is Firefox with WebAssembly SIMD, and the page loaded without errors", async () => {
      const engine = await page.evaluate(() => (window as unknown as { __bodies: BodiesPage }).__bodies.engine());
      expect(engine.userAgent).toMatch(/Firefox\/\d+/);
      expect(engine.simdSupported, "Firefox validates the SIMD build").toBe(true);
      expect(page.pageErrors).toEqual([]);
    });

    describe.each(lists)("%s bodies", (list) => {
      describe.each(BACKENDS.map((b) => [b.name, b] as const))("%s backend", (backend, b) => {
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
              return a.worker
                ? p.inModuleWorker(a.list, a.backend, a.timeoutMs)
                : { isWorker: false, moduleWorker: false, results: await p.onMainThread(a.list, a.backend) };
            }, ask);
            expect(answer.isWorker && answer.moduleWorker, "ran in a module worker").toBe(place === "module worker");
            results = answer.results;
          }, LIST_TIMEOUT);

          reportEach(collect(() => BODY_LISTS[list](b)), () => results, () => inNode);
        });
      });
    });

    // Last (vitest runs a file's tests in order): nothing escaped the runs as an uncaught error.
    it("raised no uncaught errors while the bodies ran", () => {
      expect(page.pageErrors).toEqual([]);
    });
  });

  // On a page of its own: the patch that refuses SIMD must not reach the bodies' page.
  describe("the scalar fallback without WebAssembly SIMD", () => {
    let results: TestResult[] = [];
    beforeAll(async () => {
      const page = await open("fallback.html", () => (window as { __fallback?: unknown }).__fallback);
      try {
        results = await page.evaluate(() => (window as unknown as { __fallback: () => Promise<TestResult[]> }).__fallback());
        expect(page.pageErrors).toEqual([]);
      } finally {
        await page.close();
      }
    }, LIST_TIMEOUT);

    // Listed in Node (never run here: Node's engine is not patched).
    reportEach(collect(() => fallbackSuite({ validate: 0, compile: 0 }, () => Promise.reject(new Error("listing only")))), () => results);
  });
});
