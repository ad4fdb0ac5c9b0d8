// Property: runOnnxNode's mappings hold for any shape, axis and axes, not only the fixtures'. On
// the SIMD build, the scalar build and the pure-JS reference, against a float64 reduction over
// arbitrary axes written here from the spec formulas:
//   LayerNormalization / RMSNormalization over the dims from a random axis (negative too), with a
//     Scale (and B) of a random shape that broadcasts over the normalized dims;
//   MeanVarianceNormalization over a random subset of the axes: refused with its one message, or
//     (x - mean) / sqrt(var + 1e-18), within 1e-9 / std of ONNX's (x - mean) / (std + 1e-9);
//   LpNormalization along a random axis, p 1 or 2.
import fc from "fast-check";
import { describe, expect } from "vitest";
import { BACKENDS } from "../helpers/backends.js";
import { runOnnxNode, type OnnxTensor } from "../../src/onnx/index.js";
import { propertyTest, reportAfterAll } from "./runner.js";

export const CASES = 300;

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 });
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Deterministic values from a seed: offset + scale * (a sine with an irrational step), no two equal. */
function values(n: number, seed: number, offset = 0, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => offset + scale * Math.sin(seed + i * 1.618034 + i * i * 0.01));
}

/** Each element's group: the multi-index of the axes not in `reduced`, as one number. */
function groups(shape: readonly number[], reduced: ReadonlySet<number>): Int32Array {
  const out = new Int32Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    let rest = i, g = 0, radix = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const digit = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
      if (!reduced.has(d)) {
        g += digit * radix;
        radix *= shape[d];
      }
    }
    out[i] = g;
  }
  return out;
}

/** f(x, group statistics) per element, with float64 mean, population variance and mean square per group. */
function perGroup(x: Float32Array, shape: readonly number[], reduced: ReadonlySet<number>,
  f: (v: number, s: { mean: number; variance: number; meanSquare: number }) => number): Float64Array {
  const g = groups(shape, reduced);
  const count = Math.max(...g) + 1;
  const sum = new Float64Array(count), sq = new Float64Array(count), n = new Float64Array(count), dev = new Float64Array(count);
  x.forEach((v, i) => { sum[g[i]] += v; sq[g[i]] += v * v; n[g[i]]++; });
  x.forEach((v, i) => { dev[g[i]] += (v - sum[g[i]] / n[g[i]]) ** 2; });
  return Float64Array.from(x, (v, i) => f(v, { mean: sum[g[i]] / n[g[i]], variance: dev[g[i]] / n[g[i]], meanSquare: sq[g[i]] / n[g[i]] }));
}

/** param (a Scale of shape `from`, broadcast to x's normalized tail) for element i of x. */
function broadcastParam(p: Float32Array, from: readonly number[], shape: readonly number[], i: number): number {
  let rest = i, offset = 0, stride = 1;
  for (let d = shape.length - 1, j = from.length - 1; d >= 0; d--, j--) {
    const digit = rest % shape[d];
    rest = Math.floor(rest / shape[d]);
    if (j >= 0) {
      if (from[j] !== 1) offset += digit * stride;
      stride *= from[j];
    }
  }
  return p[offset];
}

function expectNear(got: OnnxTensor | null, want: Float64Array, tol: number, label: string) {
  expect(got, label).not.toBeNull();
  const scale = Math.max(1, ...Array.from(want, Math.abs));
  let worst = 0;
  want.forEach((w, i) => { worst = Math.max(worst, Math.abs(got!.data[i] - w)); });
  expect(worst / scale, `${label}: error ${worst.toExponential(2)} against scale ${scale.toExponential(2)}`).toBeLessThanOrEqual(tol);
}

const rowCase = shapeArb.chain((shape) => fc.record({
  shape: fc.constant(shape),
  axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
  // How many trailing dims the Scale keeps, and which of them it broadcasts (size 1).
  scaleRank: fc.integer({ min: 1, max: shape.length }),
  ones: fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
  bias: fc.boolean(),
  rms: fc.boolean(),
  epsilon: fc.constantFrom(1e-5, 1e-3, 0.1),
  seed: fc.integer({ min: 0, max: 1e6 }),
}));

const mvnCase = shapeArb.chain((shape) => fc.record({
  shape: fc.constant(shape),
  axes: fc.subarray(shape.map((_, i) => i), { minLength: 1 }).chain((a) =>
    fc.tuple(...a.map((axis) => fc.constantFrom(axis, axis - shape.length)))),
  seed: fc.integer({ min: 0, max: 1e6 }),
}));

const lpCase = shapeArb.chain((shape) => fc.record({
  shape: fc.constant(shape),
  axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
  p: fc.constantFrom(1, 2),
  seed: fc.integer({ min: 0, max: 1e6 }),
}));

describe.each(BACKENDS.map((b) => [b.name, b] as const))("%s backend", (_name, b) => {
  const backend = b.make();

  propertyTest("LayerNormalization / RMSNormalization: any axis, a broadcast Scale and B", rowCase, (c) => {
    const rank = c.shape.length, a = c.axis < 0 ? c.axis + rank : c.axis;
    const normalized = c.shape.slice(a);
    const k = Math.min(c.scaleRank, normalized.length);
    const pShape = normalized.slice(normalized.length - k).map((d, j) => (c.ones[j] ? 1 : d));
    const x = values(size(c.shape), c.seed, 0.5, 2);
    const scale = values(size(pShape), c.seed + 1), bias = values(size(pShape), c.seed + 2);
    const reduced = new Set(normalized.map((_, j) => a + j));
    const node = { opType: c.rms ? "RMSNormalization" : "LayerNormalization", opset: c.rms ? 23 : 17, attributes: { axis: c.axis, epsilon: c.epsilon } };
    const inputs = [{ data: x, shape: c.shape }, { data: scale, shape: pShape }, ...(c.rms ? [] : [c.bias ? { data: bias, shape: pShape } : null])];
    const out = runOnnxNode(node, inputs, { backend });
    const want = perGroup(x, c.shape, reduced, (v, s) => (c.rms ? v / Math.sqrt(s.meanSquare + c.epsilon) : (v - s.mean) / Math.sqrt(s.variance + c.epsilon)));
    want.forEach((w, i) => {
      want[i] = w * broadcastParam(scale, pShape, c.shape, i) + (c.bias && !c.rms ? broadcastParam(bias, pShape, c.shape, i) : 0);
    });
    expectNear(out[0], want, 1e-5, `${node.opType} ${JSON.stringify(c)}`);
    expect(out[0]!.shape).toEqual(c.shape);
  }, CASES);

  propertyTest("MeanVarianceNormalization: any axes, refused with its message or within 1e-9 / std of ONNX's formula", mvnCase, (c) => {
    const x = values(size(c.shape), c.seed, 1, 3);
    let out;
    try {
      out = runOnnxNode({ opType: "MeanVarianceNormalization", opset: 13, attributes: { axes: c.axes } }, [{ data: x, shape: c.shape }], { backend });
    } catch (error) {
      expect((error as Error).message).toMatch(/^runOnnxNode \(MeanVarianceNormalization 13\): attribute "axes" .* supported when the axes not reduced are the leading ones/);
      return;
    }
    const reduced = new Set(c.axes.map((a) => (a < 0 ? a + c.shape.length : a)));
    // The mapping divides by sqrt(var + 1e-18) (docs/onnx.md): checked here, and its distance to
    // ONNX's (x - mean) / (std + 1e-9), which docs/onnx.md bounds by 1e-9 / std relatively.
    const want = perGroup(x, c.shape, reduced, (v, s) => (v - s.mean) / Math.sqrt(s.variance + 1e-18));
    const onnx = perGroup(x, c.shape, reduced, (v, s) => (v - s.mean) / (Math.sqrt(s.variance) + 1e-9));
    const std = perGroup(x, c.shape, reduced, (_v, s) => Math.sqrt(s.variance));
    onnx.forEach((o, i) => expect(Math.abs(want[i] - o), `MVN deviation at ${i}`).toBeLessThanOrEqual(Math.abs(o) * (std[i] > 0 ? 1e-9 / std[i] : 0) + 1e-12));
    expectNear(out[0], want, 2e-5, `MVN ${JSON.stringify(c)}`);
  }, CASES);

  propertyTest("LpNormalization: any axis, p 1 or 2", lpCase, (c) => {
    const x = values(size(c.shape), c.seed);
    const out = runOnnxNode({ opType: "LpNormalization", opset: 1, attributes: { axis: c.axis, p: c.p } }, [{ data: x, shape: c.shape }], { backend });
    const a = c.axis < 0 ? c.axis + c.shape.length : c.axis;
    const reduced = new Set([a]);
    // ||x||_p per group from the mean of |x|^p: (n * mean)^(1/p).
    const n = c.shape[a];
    const want = perGroup(Float32Array.from(x, (v) => (c.p === 1 ? Math.abs(v) : v * v)), c.shape, reduced, (_v, s) => s.mean * n)
      .map((sum, i) => (sum === 0 ? 0 : x[i] / (c.p === 1 ? sum : Math.sqrt(sum)))); // a zero vector stays zero
    expectNear(out[0], want, 1e-6, `Lp ${JSON.stringify(c)}`);
  }, CASES);
});

reportAfterAll("ONNX node properties");
