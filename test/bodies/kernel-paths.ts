// The kernels' own paths, which the small PyTorch fixtures do not reach: channels of many
// chunks (long runs cut into pieces, short runs grouped), the pipelined planar loops,
// interleaved tensors longer than one row chunk, channel counts that are not a multiple of
// 4, and channels that break naive kernels (mean 1e4 with std 1e-2, constant, values near
// 1e37 whose squares overflow f32). Each wasm build is compared with the float64 reference
// backend, channel by channel.
import { describe, it, expect } from "../helpers/test-api.js";
import {
  BatchNorm1d, BatchNorm2d, createReferenceBackend, type Activation, type Backend, type BatchNormBase, type Layout,
} from "../../src/index.js";
import { relativeError } from "../helpers/compare.js";
import { gaussian, seededRandom } from "../helpers/random.js";

interface PathCase {
  name: string;
  shape: number[];
  layout: Layout;
}

const CASES: PathCase[] = [
  { name: "NCHW, runs of 2050 cut into two pieces", shape: [3, 5, 41, 50], layout: "NCHW" },
  { name: "NCHW, runs of 49 grouped 41 to a chunk", shape: [100, 3, 7, 7], layout: "NCHW" },
  { name: "NCHW, runs of 1031 (vector tails)", shape: [2, 4, 1, 1031], layout: "NCHW" },
  { name: "NCHW, runs of 3 (no full vector)", shape: [6, 4, 3], layout: "NCHW" },
  { name: "NHWC, 297 rows of 7 channels", shape: [3, 9, 11, 7], layout: "NHWC" },
  { name: "NHWC, 300 rows of 16 channels", shape: [2, 15, 10, 16], layout: "NHWC" },
  { name: "2-D, 300 rows of 9 channels", shape: [300, 9], layout: "NCHW" },
  // Over 8 MiB: the column reductions walk row by row (layout.ts groupedReduction).
  { name: "NHWC, 8192 rows of 261 channels (row-by-row reductions)", shape: [2, 64, 64, 261], layout: "NHWC" },
  // Channels of 2 to 8 values: the all-f64 backward, where dx is a near-total cancellation.
  { name: "2-D, 2 rows of 5 channels", shape: [2, 5], layout: "NCHW" },
  { name: "NCHW, 2 runs of 3", shape: [2, 5, 3], layout: "NCHW" },
  { name: "NHWC, 2 x 2 x 2 rows of 5 channels", shape: [2, 2, 2, 5], layout: "NHWC" },
];

/** Per-channel value makers: the hostile ones first, so every case has each of them. */
const CHANNEL_KINDS: Array<(rand: () => number) => number> = [
  (rand) => 1e4 + 1e-2 * gaussian(rand),
  () => 7.25,
  (rand) => 1e37 * gaussian(rand),
  (rand) => -3 + 2 * gaussian(rand),
  (rand) => 0.5 + 0.01 * gaussian(rand),
];

function channelOf(shape: number[], layout: Layout) {
  const channelsLast = layout === "NHWC" && shape.length > 2;
  const C = channelsLast ? shape[shape.length - 1] : shape[1];
  const S = shape.slice(channelsLast ? 1 : 2, channelsLast ? -1 : undefined).reduce((a, b) => a * b, 1);
  return { C, at: (i: number) => (channelsLast ? i % C : Math.floor(i / S) % C) };
}

function makeInput(shape: number[], layout: Layout, seed: number) {
  const rand = seededRandom(seed);
  const { at } = channelOf(shape, layout);
  const size = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: size }, (_, i) => CHANNEL_KINDS[at(i) % CHANNEL_KINDS.length](rand));
}

/** Asserts `actual` matches `expected` within tol relative to each channel's largest magnitude. */
function expectPerChannel(actual: Float32Array, expected: Float32Array, shape: number[], layout: Layout, tol: number, label: string) {
  const { C, at } = channelOf(shape, layout);
  const a: number[][] = Array.from({ length: C }, () => []), e: number[][] = Array.from({ length: C }, () => []);
  for (let i = 0; i < expected.length; i++) {
    a[at(i)].push(actual[i]);
    e[at(i)].push(expected[i]);
  }
  for (let c = 0; c < C; c++) {
    const err = relativeError(a[c], e[c]);
    expect(err, `${label}, channel ${c}: relative error ${err.toExponential(2)}`).toBeLessThanOrEqual(tol);
  }
}

/** Element-wise within tol of the largest magnitude; equal infinities match. */
function expectArrayClose(actual: Float32Array | null, expected: Float32Array | null, tol: number, label: string) {
  if (expected === null) return expect(actual, label).toBeNull();
  expect(actual, label).not.toBeNull();
  const finite = Array.from(expected, (v, i) => (Number.isFinite(v) ? [actual![i], v] : null)).filter((p) => p !== null);
  Array.from(expected).forEach((v, i) => {
    if (!Number.isFinite(v)) expect(actual![i], `${label}[${i}]`).toBe(v);
  });
  const err = relativeError(finite.map((p) => p![0]), finite.map((p) => p![1]));
  expect(err, `${label}: relative error ${err.toExponential(2)}`).toBeLessThanOrEqual(tol);
}

function moduleFor(shape: number[], layout: Layout, activation: Activation, backend: Backend): BatchNormBase {
  const C = channelOf(shape, layout).C;
  const Module = shape.length === 4 ? BatchNorm2d : BatchNorm1d;
  const m = new Module(C, { backend, layout, activation });
  const rand = seededRandom(C * 7919);
  m.weight!.set(Float32Array.from({ length: C }, () => 0.5 + rand()));
  m.bias!.set(Float32Array.from({ length: C }, () => rand() - 0.5));
  return m;
}

export function kernelPathSuite(makeBackend: () => Backend): void {
  const runs = CASES.flatMap((c) => (["none", "relu"] as const).map((a) => [`${c.name}, activation ${a}`, c, a] as const));
  describe.each(runs)("kernel path: %s", (_name, { shape, layout }, activation) => {
    it("training and frozen forward / backward match the float64 reference per channel", () => {
      const ours = moduleFor(shape, layout, activation, makeBackend());
      const ref = moduleFor(shape, layout, activation, createReferenceBackend());
      for (const [step, training] of [[1, true], [2, true], [3, false]] as const) {
        const label = `${shape.join("x")} ${layout} step ${step}`;
        ours.train(training);
        ref.train(training);
        const x = makeInput(shape, layout, step);
        const dy = Float32Array.from(makeInput(shape, layout, 100 + step), (_, i) => Math.sin(i * 0.37) + 0.25);
        const y = ours.forward(x, shape), yRef = ref.forward(x, shape);
        expectPerChannel(y, yRef, shape, layout, 1e-4, `${label} y`);
        const g = ours.backward(dy), gRef = ref.backward(dy);
        expectPerChannel(g.dx, gRef.dx, shape, layout, 1e-4, `${label} dx`);
        expectArrayClose(g.dweight, gRef.dweight, 1e-4, `${label} dweight`);
        expectArrayClose(g.dbias, gRef.dbias, 1e-4, `${label} dbias`);
        expectArrayClose(ours.runningMean, ref.runningMean, 1e-5, `${label} running_mean`);
        expectArrayClose(ours.runningVar, ref.runningVar, 1e-5, `${label} running_var`);
      }
      ours.dispose();
      ref.dispose();
    });
  });
}
