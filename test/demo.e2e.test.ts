// End to end: the demo page (examples/browser) built with Vite and served on loopback the
// way `npm run demo` does it, opened in Debian's Chromium and in Debian's Firefox
// (test/helpers/engines.ts). Waits for the benchmark and the training runs, checks that
// numbers and charts appeared and that the training panel's story holds (the batch-norm
// network ahead, and sooner), and saves a screenshot per engine to
// test/artifacts/demo-<engine>.png (git-ignored) for a person to look at.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ENGINES, withBrowser } from "./helpers/engines.js";
import { buildDemo, serveDemo } from "../examples/browser/serve.js";
import { SHAPES, OPS, IMPLS } from "../examples/browser/src/bench.js";
import { Comparison, DEMO_SETTING, TARGET_ACCURACY, type Snapshot } from "../examples/browser/src/comparison.js";
import { expectBatchNormAhead } from "./helpers/demo-story.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const artifacts = join(root, "test", "artifacts");

interface DemoResult {
  simd: boolean;
  error?: string;
  bench: { shape: string; op: string; bytes: number; copyMs: number; ms: Record<string, number> }[];
  training: {
    steps: number;
    evalEvery: number;
    withBn: { loss: number; accuracy: number; msPerStep: number };
    withoutBn: { loss: number; accuracy: number; msPerStep: number };
    curves: Snapshot[];
  };
}

describe.runIf(ENGINES.some((e) => e.available))("demo page", () => {
  let outDir = "";
  let server: Awaited<ReturnType<typeof serveDemo>>;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), "batchnorm-wasm-demo-"));
    await buildDemo(outDir);
    server = await serveDemo({ outDir, port: 0 });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  for (const engine of ENGINES) {
    it.runIf(engine.available)(`${engine.label}: runs the benchmark and both training runs, shows numbers and charts, and is screenshotted`, () =>
      withBrowser(engine, async (browser) => {
        expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
        const page = await browser.newPage({ width: 1280, height: 1500 });
        await page.goto(server.url);
        await page.waitFor(() => document.body.dataset.state !== "running", 240_000);
        const state = await page.evaluate(() => document.body.dataset.state);
        const demo = (await page.evaluate(() => (window as unknown as { __demo: unknown }).__demo)) as DemoResult;
        mkdirSync(artifacts, { recursive: true });
        await page.screenshot(join(artifacts, `demo-${engine.name}.png`));

        expect(demo.error, "the page's error").toBeUndefined();
        expect(state).toBe("done");
        expect(page.pageErrors, "uncaught errors in the page").toEqual([]);
        expect(page.consoleErrors, "console errors in the page").toEqual([]);
        expect(await page.evaluate(() => document.getElementById("status")?.textContent)).toMatch(/^done: test accuracy 0\.\d\d with batch norm/);
        expect(demo.simd, `${engine.label} runs the SIMD build`).toBe(true);

        // Benchmark: every shape and op, every implementation, positive finite times (no
        // assertions on speed: the machine is shared).
        expect(demo.bench.map((r) => `${r.shape} ${r.op}`)).toEqual(SHAPES.flatMap((s) => OPS.map((op) => `${s.label} ${op}`)));
        for (const r of demo.bench) {
          expect(r.copyMs, `${r.shape} copy`).toBeGreaterThan(0);
          for (const impl of IMPLS) {
            expect(Number.isFinite(r.ms[impl]) && r.ms[impl] > 0, `${r.shape} ${r.op} ${impl}: ${r.ms[impl]}`).toBe(true);
          }
        }
        const rows = await page.evaluate(() =>
          Array.from(document.querySelectorAll("#bench-table tbody tr"), (tr) => Array.from(tr.querySelectorAll("td"), (td) => td.textContent ?? "")));
        expect(rows).toHaveLength(demo.bench.length);
        for (const cells of rows) {
          expect(cells).toHaveLength(11);
          for (const c of cells.slice(2)) expect(c, `cell in ${cells.slice(0, 2).join(" ")}`).toMatch(/^\d+(\.\d+)?(e[-+]\d+)?×?$/);
        }

        // Training: the curves were recorded at every evaluation, and the seeded run tells the
        // page's story: the batch-norm network learns the spirals, sooner and better than the plain one.
        const t = demo.training;
        expect([t.steps, t.evalEvery]).toEqual([DEMO_SETTING.steps, DEMO_SETTING.evalEvery]);
        expect(t.curves.map((c) => c.step)).toEqual(Array.from({ length: t.steps / t.evalEvery + 1 }, (_, k) => k * t.evalEvery));
        for (const c of t.curves) {
          for (const net of [c.withBn, c.withoutBn]) {
            expect(net.accuracy >= 0 && net.accuracy <= 1).toBe(true);
            expect(Number.isFinite(net.loss)).toBe(true);
          }
        }
        const last = t.curves[t.curves.length - 1];
        expect([t.withBn.accuracy, t.withoutBn.accuracy]).toEqual([last.withBn.accuracy, last.withoutBn.accuracy]);
        const { withBn: bnAt, withoutBn: plainAt } = expectBatchNormAhead(t.curves, t.steps, `${engine.label}'s page`);
        // The same run in Node: the same accuracies, and losses equal up to the last bits of
        // Math.exp / Math.log, which differ between JavaScript engines (a run whose float32
        // weights drifted apart would differ far more after 300 steps).
        const inNode = new Comparison(DEMO_SETTING);
        const nodeCurves = [...inNode.run()];
        inNode.dispose();
        expect(t.curves.map((c) => [c.step, c.withBn.accuracy, c.withoutBn.accuracy])).toEqual(nodeCurves.map((c) => [c.step, c.withBn.accuracy, c.withoutBn.accuracy]));
        t.curves.forEach((c, k) => {
          for (const key of ["withBn", "withoutBn"] as const) {
            expect(Math.abs(c[key].loss - nodeCurves[k][key].loss), `step ${c.step} ${key} loss, page vs Node`).toBeLessThan(1e-9 * nodeCurves[k][key].loss);
          }
        });
        const trainRows = await page.evaluate(() =>
          Array.from(document.querySelectorAll("#train-table tbody tr"), (tr) => Array.from(tr.querySelectorAll("td"), (td) => td.textContent ?? "")));
        expect(trainRows.map((cells) => cells[3])).toEqual([String(bnAt), String(plainAt ?? "–")]);
        expect(await page.evaluate(() => document.getElementById("regions-step")?.textContent)).toBe(`step ${t.steps} of ${t.steps}`);
        expect(await page.evaluate(() => document.getElementById("train-story")?.textContent)).toContain(`with BatchNorm1d passed ${TARGET_ACCURACY * 100}% test accuracy at step ${bnAt}`);

        // Charts: each canvas has pixels of its datasets' colours, not just axes and labels.
        const colours = await page.evaluate(() => {
          const want: Record<string, [number, number, number]> = {
            simd: [37, 99, 235], scalar: [22, 163, 74], js: [217, 119, 6], withBn: [37, 99, 235], withoutBn: [220, 38, 38],
          };
          const count = (id: string, rgb: [number, number, number]) => {
            const canvas = document.getElementById(id) as HTMLCanvasElement;
            const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
            let n = 0;
            for (let i = 0; i < data.length; i += 4) {
              if (data[i + 3] > 200 && Math.abs(data[i] - rgb[0]) < 12 && Math.abs(data[i + 1] - rgb[1]) < 12 && Math.abs(data[i + 2] - rgb[2]) < 12) n++;
            }
            return n;
          };
          return {
            bars: [count("ratio-chart", want.simd), count("ratio-chart", want.scalar), count("ratio-chart", want.js)],
            loss: [count("loss-chart", want.withBn), count("loss-chart", want.withoutBn)],
            accuracy: [count("acc-chart", want.withBn), count("acc-chart", want.withoutBn)],
            boundaries: [count("boundary-bn", [191, 219, 254]), count("boundary-plain", [191, 219, 254])],
          };
        });
        for (const [chart, counts] of Object.entries(colours)) {
          for (const n of counts) expect(n, `${chart} chart pixels of a dataset colour`).toBeGreaterThan(200);
        }
        await page.close();
      }), 360_000);
  }
});
