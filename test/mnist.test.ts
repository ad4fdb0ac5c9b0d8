// The MNIST example (examples/mnist): its small pieces, a seeded short training run, and
// the `npm start` entry point end to end.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDigits, loadSplit, PIXELS, splitIndices } from "../examples/mnist/data.js";
import { Linear, softmaxCrossEntropy } from "../examples/mnist/layers.js";
import { matmulABt, matmulABtSparse, matmulSparseABt, toCsr, toCsrTransposed, transpose } from "../examples/mnist/matmul.js";
import { Network } from "../examples/mnist/network.js";
import { percentile } from "../examples/mnist/percentiles.js";
import { Random } from "../examples/mnist/random.js";
import { buildDocument } from "../examples/mnist/report.js";
import { batchStatsAccuracy, runExperiment, type RunResult } from "../examples/mnist/train.js";
import { renderFigure } from "../examples/mnist/chart.js";

function randomMatrix(rng: Random, rows: number, cols: number, zeros = 0): Float32Array {
  return Float32Array.from({ length: rows * cols }, () => (rng.next() < zeros ? 0 : rng.normal()));
}

describe("mnist: data", () => {
  it("loads all 10,000 digits of the mnist package, pixels in [0, 1], every class present", () => {
    const d = loadDigits();
    expect(d.count).toBe(10000);
    expect(d.images.length).toBe(10000 * PIXELS);
    let min = Infinity, max = -Infinity;
    for (const v of d.images) { min = Math.min(min, v); max = Math.max(max, v); }
    expect(min).toBe(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.9);
    const perClass = new Array(10).fill(0);
    for (const l of d.labels) perClass[l]++;
    for (const c of perClass) expect(c).toBeGreaterThan(800);
  });

  it("splits 0..n-1 into a seeded partition: no overlap, nothing missing, same seed same split", () => {
    const a = splitIndices(10000, 8000, 7);
    expect(a.train.length).toBe(8000);
    expect(a.test.length).toBe(2000);
    const seen = new Uint8Array(10000);
    for (const i of [...a.train, ...a.test]) seen[i]++;
    expect(seen.every((c) => c === 1)).toBe(true);
    expect(splitIndices(10000, 8000, 7)).toEqual(a);
    expect(splitIndices(10000, 8000, 8).test).not.toEqual(a.test);
    // Random, not the package's class-by-class order: the held-out side has every class.
    const labels = loadDigits().labels;
    const classes = new Set(Array.from(a.test, (i) => labels[i]));
    expect(classes.size).toBe(10);
    expect(() => splitIndices(10, 10, 1)).toThrow(/splitIndices: train must be/);
  });
});

describe("mnist: small pieces", () => {
  it("percentile interpolates between order statistics like NumPy", () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 15)).toBeCloseTo(1.6, 12);
    expect(percentile([5, 1, 4, 2, 3], 85)).toBeCloseTo(4.4, 12);
    expect(percentile([5, 1, 4, 2, 3], 0)).toBe(1);
    expect(percentile([5, 1, 4, 2, 3], 100)).toBe(5);
    expect(percentile([2], 85)).toBe(2);
    expect(() => percentile([], 50)).toThrow(/percentile: values must not be empty/);
    expect(() => percentile([1], 101)).toThrow(/percentile: p must be in \[0, 100\]/);
  });

  it("the blocked and sparse products equal a plain triple loop, odd sizes included", () => {
    const rng = new Random(3);
    for (const [M, N, K] of [[7, 5, 9], [8, 6, 4], [1, 1, 1], [13, 10, 30]]) {
      const A = randomMatrix(rng, M, K, 0.6), B = randomMatrix(rng, N, K, 0.3);
      const naive = new Float64Array(M * N);
      for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) naive[m * N + n] += A[m * K + k] * B[n * K + k];
      const close = (C: Float32Array) => C.forEach((v, i) => expect(v).toBeCloseTo(naive[i], 4));
      close(matmulABt(A, B, M, N, K));
      close(matmulSparseABt(toCsr(A, M, K), B, N, K));
      close(matmulABtSparse(A, M, K, toCsr(B, N, K)));
      close(matmulABtSparse(A, M, K, toCsrTransposed(transpose(B, N, K), K, N)));
    }
  });

  for (const sparseInput of [false, true]) {
    it(`Linear backward matches finite differences of softmax cross-entropy (${sparseInput ? "sparse" : "dense"} input)`, () => {
      const rng = new Random(11);
      const rows = 6, I = 9, O = 5;
      const x = randomMatrix(rng, rows, I, sparseInput ? 0.7 : 0);
      const labels = Array.from({ length: rows }, (_, n) => n % O);
      const layer = new Linear(I, O, rng, 0.5, { sparseInput });
      layer.bias!.forEach((_, o) => (layer.bias![o] = rng.normal() * 0.1));
      const loss = (input: Float32Array) => softmaxCrossEntropy(layer.forward(input, rows), labels, rows, O).loss;
      const { dlogits } = softmaxCrossEntropy(layer.forward(x, rows), labels, rows, O);
      const dx = layer.backward(dlogits)!;
      const h = 1e-2;
      const numeric = (p: Float32Array, i: number, at: () => number) => {
        const keep = p[i];
        p[i] = keep + h; const up = at();
        p[i] = keep - h; const down = at();
        p[i] = keep;
        return (up - down) / (2 * h);
      };
      for (let i = 0; i < layer.weight.length; i++) expect(layer.dweight[i]).toBeCloseTo(numeric(layer.weight, i, () => loss(x)), 3);
      for (let o = 0; o < O; o++) expect(layer.dbias![o]).toBeCloseTo(numeric(layer.bias!, o, () => loss(x)), 3);
      for (let i = 0; i < x.length; i++) expect(dx[i]).toBeCloseTo(numeric(x, i, () => loss(x)), 3);
    });
  }

  it("the batch-norm network's weight gradients (through BatchNorm1d backward) match finite differences", () => {
    const { train } = loadSplit(5);
    const rows = 12;
    const images = train.images.slice(0, rows * PIXELS), labels = train.labels.slice(0, rows);
    const net = new Network({ batchNorm: true, seed: 5, initStd: 0.3 });
    const loss = () => softmaxCrossEntropy(net.forward(images, rows), labels, rows, 10).loss;
    net.trainStep(images, labels, rows, 0); // lr 0: computes the gradients, changes nothing
    const h = 1e-2;
    for (const [layer, picks] of [[1, [0, 17, 4242, 9999]], [2, [3, 555, 7070]], [3, [0, 99, 500, 999]]] as const) {
      const l = net.linears[layer];
      for (const i of picks) {
        const keep = l.weight[i];
        l.weight[i] = keep + h; const up = loss();
        l.weight[i] = keep - h; const down = loss();
        l.weight[i] = keep;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(l.dweight[i] - numeric)).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
      }
    }
    net.dispose();
  });

  it("renders a three-panel SVG with both networks' curves", () => {
    const svg = renderFigure({
      steps: [0, 10, 20],
      plain: { testAcc: [0.1, 0.5, 0.8], percentiles: [[-1, 0, 1], [-2, 0, 2], [-3, 0, 3]] },
      bn: { testAcc: [0.1, 0.9, 0.95], percentiles: [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]] },
      subtitle: "a <test>",
    });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("(a) held-out accuracy");
    expect(svg).toContain("(b) without batch norm");
    expect(svg).toContain("(c) with batch norm");
    expect(svg).toContain("a &lt;test&gt;");
    expect(svg.match(/<polyline/g)!.length).toBe(2 + 2 * 3);
    expect(svg).not.toMatch(/NaN|undefined/);
  });
});

describe("mnist: a seeded short run", () => {
  const options = { steps: 300, every: 50, lr: 0.3, seed: 3 };
  let data: ReturnType<typeof loadSplit>;
  let first: RunResult, second: RunResult;
  const last = () => first.steps.length - 1;

  beforeAll(() => {
    data = loadSplit(options.seed);
    first = runExperiment(data, options);
    // A second, shorter run with the same seed: its records must equal the first run's up to
    // where it stops (every step is a function of the seed alone). Half the length saves time.
    second = runExperiment(data, { ...options, steps: 150 });
  }, 120_000);

  it("records every `every` steps from step 0", () => {
    expect(first.steps).toEqual([0, 50, 100, 150, 200, 250, 300]);
  });

  it("both networks learn: held-out accuracy well above chance (10%)", () => {
    expect(first.bn.testAcc[last()]).toBeGreaterThan(0.85);
    expect(first.plain.testAcc[last()]).toBeGreaterThan(0.3);
  });

  it("batch norm is ahead after the first few hundred steps", () => {
    expect(first.bn.testAcc[last()]).toBeGreaterThan(first.plain.testAcc[last()] + 0.1);
  });

  it("eval-mode accuracy (running statistics) is within 2 points of training-mode accuracy (batch statistics)", () => {
    expect(Math.abs(first.bn.testAcc[last()] - first.bn.batchStatsTestAcc)).toBeLessThanOrEqual(0.02);
  });

  it("the same seed gives identical numbers", () => {
    const numbers = (r: RunResult, records: number) => ({
      steps: r.steps.slice(0, records),
      bn: [r.bn.testAcc.slice(0, records), r.bn.percentiles.slice(0, records)],
      plain: [r.plain.testAcc.slice(0, records), r.plain.percentiles.slice(0, records)],
    });
    expect(second.steps).toEqual([0, 50, 100, 150]);
    expect(numbers(second, 4)).toEqual(numbers(first, 4));
    // Not trivially equal: the networks did change between records.
    expect(new Set(second.bn.testAcc).size).toBe(4);
  });

  it("measuring batch-statistics accuracy leaves the network as it was", () => {
    const net = new Network({ batchNorm: true, seed: 1, initStd: 0.1 });
    net.trainStep(data.train.images.subarray(0, 60 * PIXELS), data.train.labels.subarray(0, 60), 60, 0.3);
    const before = net.norms.map((bn) => bn.stateDict());
    net.train(false);
    batchStatsAccuracy(net, data.test, 60);
    expect(net.norms.map((bn) => bn.stateDict())).toEqual(before);
    expect(net.norms.every((bn) => !bn.training)).toBe(true);
    net.dispose();
  });

  it("the JSON document has the documented shape", () => {
    const doc = JSON.parse(JSON.stringify(buildDocument(first)));
    checkShape(doc);
  });
});

function checkShape(doc: any): void {
  expect(Array.isArray(doc.steps)).toBe(true);
  const n = doc.steps.length;
  expect(n).toBeGreaterThan(1);
  for (const key of ["bn", "plain"]) {
    const net = doc[key];
    expect(net.testAcc).toHaveLength(n);
    expect(net.percentiles).toHaveLength(n);
    for (const a of net.testAcc) expect(a >= 0 && a <= 1).toBe(true);
    for (const p of net.percentiles) {
      expect(p).toHaveLength(3);
      expect(p[0]).toBeLessThanOrEqual(p[1]);
      expect(p[1]).toBeLessThanOrEqual(p[2]);
    }
  }
}

describe("mnist: npm start", () => {
  it("runs end to end with small settings (two threads) and writes the JSON and the SVG", () => {
    const out = mkdtempSync(join(tmpdir(), "mnist-bn-"));
    try {
      const stdout = execFileSync(process.execPath, ["--import", "tsx", "examples/mnist/main.ts", "--steps", "90", "--every", "30", "--out", out], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      expect(stdout).toMatch(/\| steps \| without batch norm \| with batch norm \|/);
      expect(stdout).toMatch(/BatchNorm1d forward \+ backward/);
      expect(stdout).toMatch(/Verdict: /);
      expect(stdout).toMatch(/At learning rate 1\.5 \(5x, 30 steps\)/);
      const doc = JSON.parse(readFileSync(join(out, "mnist-bn.json"), "utf8"));
      expect(doc.steps).toEqual([0, 30, 60, 90]);
      checkShape(doc);
      // The CLI trains the two networks on two worker threads: the same numbers as one thread.
      const serial = runExperiment(loadSplit(1), { steps: 90, every: 30, lr: 0.3, seed: 1 });
      expect(doc.bn.testAcc).toEqual(serial.bn.testAcc);
      expect(doc.plain.testAcc).toEqual(serial.plain.testAcc);
      expect(doc.bn.percentiles).toEqual(serial.bn.percentiles);
      expect(doc.timings.threads).toBe(2);
      expect(doc.highLr.lr).toBeCloseTo(1.5, 12);
      checkShape(doc.highLr);
      const svg = readFileSync(join(out, "mnist-bn.svg"), "utf8");
      expect(svg).toContain("(c) with batch norm");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 90_000);

  it("refuses unknown arguments with the usage", () => {
    expect(() => execFileSync(process.execPath, ["--import", "tsx", "examples/mnist/main.ts", "--stepz", "3"], { encoding: "utf8", stdio: "pipe" }))
      .toThrow(/unknown argument --stepz[\s\S]*usage: npm start/);
  });
});
