// The demo page: the benchmark first (so training does not disturb its timings), then the
// two training runs with live charts. Everything it measured ends up in window.__demo, and
// <body data-state> turns "done" (or "error"), for people and for the e2e test alike.
import { simdSupported } from "../../../src/index.js";
import { IMPLS, runBenchmark, type BenchRow } from "./bench.js";
import { curveChart, ratioChart } from "./charts.js";
import { batchOf, lcg, Mlp, spirals, type Dataset, type StepStats } from "./train.js";

const STEPS = 300;
const EVAL_EVERY = 15;
const LR = 0.03;
const BATCH = 64;
const SIZES = [2, 32, 32, 3];

interface NetResult extends StepStats { msPerStep: number }
interface DemoResult {
  simd: boolean;
  bench: BenchRow[];
  training?: { steps: number; withBn: NetResult; withoutBn: NetResult; curves: { step: number; withBn: StepStats; withoutBn: StepStats }[] };
  error?: string;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const fmt = (v: number | undefined, digits = 3) => (v === undefined || !Number.isFinite(v) ? "–" : v < 0.01 ? v.toExponential(2) : v.toFixed(digits));
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

/** Predicted classes over the data's bounding box, painted, with the test points on top. */
function drawBoundary(canvas: HTMLCanvasElement, net: Mlp, data: Dataset) {
  const ctx = canvas.getContext("2d")!;
  const G = 80;
  const [x0, x1, y0, y1] = [-20, 70, -3.25, -2.75];
  const grid = new Float32Array(G * G * 2);
  for (let j = 0; j < G; j++) for (let i = 0; i < G; i++) {
    grid[2 * (j * G + i)] = x0 + ((i + 0.5) / G) * (x1 - x0);
    grid[2 * (j * G + i) + 1] = y1 - ((j + 0.5) / G) * (y1 - y0);
  }
  net.train(false);
  const logits = net.forward(grid, G * G);
  net.train(true);
  const fills = ["#bfdbfe", "#bbf7d0", "#fde68a"];
  const dots = ["#1d4ed8", "#15803d", "#b45309"];
  const cell = canvas.width / G;
  for (let p = 0; p < G * G; p++) {
    const l = logits.subarray(3 * p, 3 * p + 3);
    const c = l[0] >= l[1] && l[0] >= l[2] ? 0 : l[1] >= l[2] ? 1 : 2;
    ctx.fillStyle = fills[c];
    ctx.fillRect((p % G) * cell, Math.floor(p / G) * cell, cell + 0.5, cell + 0.5);
  }
  for (let k = 0; k < data.n; k++) {
    const px = ((data.x[2 * k] - x0) / (x1 - x0)) * canvas.width;
    const py = ((y1 - data.x[2 * k + 1]) / (y1 - y0)) * canvas.height;
    ctx.fillStyle = dots[data.labels[k]];
    ctx.fillRect(px - 1.5, py - 1.5, 3, 3);
  }
}

async function train() {
  const trainSet = spirals(1500, 1);
  const testSet = spirals(600, 2);
  const nets = { withBn: new Mlp(SIZES, true, 7), withoutBn: new Mlp(SIZES, false, 7) };
  const batches = { withBn: lcg(3), withoutBn: lcg(3) };
  const spent = { withBn: 0, withoutBn: 0 };
  const lossChart = curveChart($("loss-chart"), "test loss (inference mode; axis clipped at 2)", "cross-entropy", 2);
  const accChart = curveChart($("acc-chart"), "test accuracy (inference mode)", "accuracy", 1);
  const curves: NonNullable<DemoResult["training"]>["curves"] = [];
  const record = (step: number) => {
    const withBn = nets.withBn.evaluate(testSet);
    const withoutBn = nets.withoutBn.evaluate(testSet);
    curves.push({ step, withBn, withoutBn });
    lossChart.data.labels!.push(step);
    lossChart.data.datasets[0].data.push(withBn.loss);
    lossChart.data.datasets[1].data.push(withoutBn.loss);
    accChart.data.labels!.push(step);
    accChart.data.datasets[0].data.push(withBn.accuracy);
    accChart.data.datasets[1].data.push(withoutBn.accuracy);
    lossChart.update("none");
    accChart.update("none");
    return { withBn, withoutBn };
  };
  record(0);
  for (let step = 1; step <= STEPS; step++) {
    for (const key of ["withBn", "withoutBn"] as const) {
      const b = batchOf(trainSet, BATCH, batches[key]);
      const t = performance.now();
      nets[key].step(b.x, b.labels, BATCH, LR);
      spent[key] += performance.now() - t;
    }
    if (step % EVAL_EVERY === 0) {
      const { withBn, withoutBn } = record(step);
      status(`training: step ${step} of ${STEPS}, test accuracy ${fmt(withBn.accuracy, 2)} with batch norm, ${fmt(withoutBn.accuracy, 2)} without`);
      await yieldToPage();
    }
  }
  const final = (key: "withBn" | "withoutBn"): NetResult => ({ ...nets[key].evaluate(testSet), msPerStep: spent[key] / STEPS });
  result.training = { steps: STEPS, withBn: final("withBn"), withoutBn: final("withoutBn"), curves };
  drawBoundary($("boundary-bn"), nets.withBn, testSet);
  drawBoundary($("boundary-plain"), nets.withoutBn, testSet);
  const body = $<HTMLTableElement>("train-table").tBodies[0];
  for (const [label, r] of [["with BatchNorm1d", result.training.withBn], ["without", result.training.withoutBn]] as const) {
    const tr = body.insertRow();
    for (const text of [label, fmt(r.accuracy), fmt(r.loss), fmt(r.msPerStep, 2)]) tr.insertCell().textContent = text;
  }
  nets.withBn.dispose();
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
