// The demo page: the benchmark first (so training does not disturb its timings), then the
// training comparison (comparison.ts) with live curves and decision regions. Everything it measured ends up in window.__demo, and
// <body data-state> turns "done" (or "error"), for people and for the e2e test alike.
import { simdSupported } from "../../../src/index.js";
import { IMPLS, runBenchmark, type BenchRow } from "./bench.js";
import { curveChart, ratioChart } from "./charts.js";
import { Comparison, DEMO_SETTING, firstReaching, NETS, TARGET_ACCURACY, type NetKey, type Snapshot } from "./comparison.js";
import type { Dataset, Mlp, StepStats } from "./train.js";

interface NetResult extends StepStats { msPerStep: number }
interface DemoResult {
  simd: boolean;
  bench: BenchRow[];
  training?: { steps: number; evalEvery: number; withBn: NetResult; withoutBn: NetResult; curves: Snapshot[] };
  error?: string;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const fmt = (v: number | undefined, digits = 3) => (v === undefined || !Number.isFinite(v) ? "–" : v < 0.01 ? v.toExponential(2) : v.toFixed(digits));
const percent = (v: number) => `${Math.round(v * 100)}%`;
const yieldToPage = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
const result: DemoResult = { simd: simdSupported(), bench: [] };
(window as unknown as { __demo: DemoResult }).__demo = result;

function status(text: string) {
  $("status").textContent = text;
}

function addBenchRows(rows: BenchRow[], chart: ReturnType<typeof ratioChart>) {
  const body = $<HTMLTableElement>("bench-table").tBodies[0];
  for (const r of rows) {
    const tr = body.insertRow();
    const cells = [
      r.shape, r.op, (r.bytes / 1e6).toFixed(2), fmt(r.copyMs),
      ...IMPLS.flatMap((impl) => [fmt(r.ms[impl]), r.ms[impl] === undefined ? "–" : `${(r.ms[impl]! / r.copyMs).toFixed(1)}×`]),
      r.ms.simd === undefined ? "–" : `${(r.ms.js! / r.ms.simd).toFixed(1)}×`,
    ];
    for (const text of cells) tr.insertCell().textContent = text;
    chart.data.labels!.push(`${r.shape} ${r.op}`);
    IMPLS.forEach((impl, k) => chart.data.datasets[k].data.push(r.ms[impl] === undefined ? NaN : r.ms[impl]! / r.copyMs));
  }
  chart.update("none");
}

const GRID = 60; // cells per side of the decision-region maps
const EXTENT = 1.1; // the maps cover [-EXTENT, EXTENT]^2 (the spirals fill the unit disc)
const REGION_GRID = (() => {
  const grid = new Float32Array(GRID * GRID * 2);
  for (let j = 0; j < GRID; j++) for (let i = 0; i < GRID; i++) {
    grid[2 * (j * GRID + i)] = ((2 * (i + 0.5)) / GRID - 1) * EXTENT;
    grid[2 * (j * GRID + i) + 1] = (1 - (2 * (j + 0.5)) / GRID) * EXTENT;
  }
  return grid;
})();

/** The class the network predicts (inference mode) over the plane, painted, with the test points on top. */
function drawRegions(canvas: HTMLCanvasElement, net: Mlp, data: Dataset) {
  const ctx = canvas.getContext("2d")!;
  net.train(false);
  const logits = net.forward(REGION_GRID, GRID * GRID);
  net.train(true);
  const fills = ["#bfdbfe", "#bbf7d0", "#fde68a"];
  const dots = ["#1d4ed8", "#15803d", "#b45309"];
  const cell = canvas.width / GRID;
  for (let p = 0; p < GRID * GRID; p++) {
    const l = logits.subarray(3 * p, 3 * p + 3);
    const c = l[0] >= l[1] && l[0] >= l[2] ? 0 : l[1] >= l[2] ? 1 : 2;
    ctx.fillStyle = fills[c];
    ctx.fillRect((p % GRID) * cell, Math.floor(p / GRID) * cell, cell + 0.5, cell + 0.5);
  }
  const toPixel = (v: number) => ((v / EXTENT + 1) / 2) * canvas.width;
  for (let k = 0; k < data.n; k++) {
    ctx.fillStyle = dots[data.labels[k]];
    ctx.fillRect(toPixel(data.x[2 * k]) - 1.5, canvas.height - toPixel(data.x[2 * k + 1]) - 1.5, 3, 3);
  }
}

/** The closing line under the maps: what the run showed, in its own numbers. */
function story(curves: readonly Snapshot[], steps: number): string {
  const last = curves[curves.length - 1];
  const reached = (key: NetKey) => {
    const at = firstReaching(curves, key);
    return at === null
      ? `had not reached ${percent(TARGET_ACCURACY)} after ${steps} steps (${percent(last[key].accuracy)} at the end)`
      : `passed ${percent(TARGET_ACCURACY)} test accuracy at step ${at} and ended at ${percent(last[key].accuracy)}`;
  };
  return `In this run the network with BatchNorm1d ${reached("withBn")}; the same network without it ${reached("withoutBn")}.`;
}

async function train() {
  const setting = DEMO_SETTING;
  const run = new Comparison(setting);
  const lossChart = curveChart($("loss-chart"), "test loss (inference mode)", "cross-entropy");
  const accChart = curveChart($("acc-chart"), "test accuracy (inference mode)", "accuracy", 1);
  const maps = { withBn: $<HTMLCanvasElement>("boundary-bn"), withoutBn: $<HTMLCanvasElement>("boundary-plain") };
  const curves: Snapshot[] = [];
  for (const snap of run.run()) {
    curves.push(snap);
    lossChart.data.labels!.push(snap.step);
    accChart.data.labels!.push(snap.step);
    NETS.forEach((key, k) => {
      lossChart.data.datasets[k].data.push(snap[key].loss);
      accChart.data.datasets[k].data.push(snap[key].accuracy);
      drawRegions(maps[key], run.nets[key], run.testSet);
    });
    lossChart.update("none");
    accChart.update("none");
    $("regions-step").textContent = `step ${snap.step} of ${setting.steps}`;
    status(`training: step ${snap.step} of ${setting.steps}, test accuracy ${fmt(snap.withBn.accuracy, 2)} with batch norm, ${fmt(snap.withoutBn.accuracy, 2)} without`);
    await yieldToPage();
  }
  const last = curves[curves.length - 1];
  const final = (key: NetKey): NetResult => ({ ...last[key], msPerStep: run.spentMs[key] / setting.steps });
  result.training = { steps: setting.steps, evalEvery: setting.evalEvery, withBn: final("withBn"), withoutBn: final("withoutBn"), curves };
  $("train-story").textContent = story(curves, setting.steps);
  const body = $<HTMLTableElement>("train-table").tBodies[0];
  for (const [label, r, key] of [["with BatchNorm1d", result.training.withBn, "withBn"], ["without", result.training.withoutBn, "withoutBn"]] as const) {
    const tr = body.insertRow();
    for (const text of [label, fmt(r.accuracy), fmt(r.loss), String(firstReaching(curves, key) ?? "–"), fmt(r.msPerStep, 2)]) tr.insertCell().textContent = text;
  }
  run.dispose();
}

async function main() {
  $("env").textContent = `WebAssembly SIMD: ${result.simd ? "yes, the SIMD build is used" : "no, the scalar build is used"} · ${navigator.userAgent}`;
  await yieldToPage();
  const chart = ratioChart($("ratio-chart"), "time per call as a multiple of memory.copy of the same bytes (log scale; lower is better)");
  result.bench = await runBenchmark((rows) => {
    addBenchRows(rows, chart);
    status(`benchmark: ${rows[0].shape} measured`);
  });
  status("training…");
  await train();
  const t = result.training!;
  status(`done: test accuracy ${fmt(t.withBn.accuracy, 2)} with batch norm, ${fmt(t.withoutBn.accuracy, 2)} without, after ${t.steps} steps`);
  document.body.dataset.state = "done";
}

main().catch((error: unknown) => {
  result.error = String((error as Error)?.stack ?? error);
  status(`failed: ${error}`);
  document.body.dataset.state = "error";
});
