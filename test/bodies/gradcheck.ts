// Finite-difference check of every module's backward pass: the gradient of
// L = sum(dy * y) with respect to x, weight and bias, by central differences of the
// backend's own forward (independent of the PyTorch fixtures).
import { describe, it } from "../helpers/test-api.js";
import {
  BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm, type Backend,
} from "../../src/index.js";
import { expectClose } from "../helpers/compare.js";

const rand = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;

type Module = BatchNorm1d | LayerNorm | GroupNorm | InstanceNorm1d;

/** sum(dy * forward(x)) in float64, restoring the module's running statistics afterwards. */
function loss(m: Module, x: Float32Array, shape: number[], dy: Float32Array): number {
  const saved = m.stateDict();
  const y = m.forward(x, shape);
  m.loadStateDict(saved);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * dy[i];
  return s;
}

/** d loss / d v[i] for every i, v perturbed in place by +-h (the f32-rounded step is used). */
function numericGrad(v: Float32Array, h: number, f: () => number): Float64Array {
  const g = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const orig = v[i];
    v[i] = orig + h;
    const up = v[i];
    const fu = f();
    v[i] = orig - h;
    const down = v[i];
    const fd = f();
    v[i] = orig;
    g[i] = (fu - fd) / (up - down);
  }
  return g;
}

interface GradCase { name: string; make: (b: Backend) => Module; shape: number[]; mode: "train" | "eval" }

const CASES: GradCase[] = [
  { name: "BatchNorm2d NCHW train", make: (backend) => new BatchNorm2d(3, { backend }), shape: [2, 3, 2, 3], mode: "train" },
  { name: "BatchNorm2d NHWC train", make: (backend) => new BatchNorm2d(3, { backend, layout: "NHWC" }), shape: [2, 2, 3, 3], mode: "train" },
  { name: "BatchNorm1d (N, C) train", make: (backend) => new BatchNorm1d(4, { backend }), shape: [5, 4], mode: "train" },
  { name: "BatchNorm2d eval (frozen statistics)", make: (backend) => new BatchNorm2d(3, { backend }), shape: [2, 3, 2, 3], mode: "eval" },
  { name: "BatchNorm2d without running statistics, eval", make: (backend) => new BatchNorm2d(3, { backend, trackRunningStats: false }), shape: [2, 3, 2, 3], mode: "eval" },
  { name: "LayerNorm over 2 dims", make: (backend) => new LayerNorm([3, 4], { backend }), shape: [2, 3, 4], mode: "train" },
  { name: "LayerNorm weight only", make: (backend) => new LayerNorm(5, { backend, bias: false }), shape: [3, 5], mode: "train" },
  { name: "LayerNorm rows of 3 (all-f64 path)", make: (backend) => new LayerNorm(3, { backend }), shape: [4, 3], mode: "train" },
  { name: "GroupNorm 2 groups", make: (backend) => new GroupNorm(2, 4, { backend }), shape: [2, 4, 3], mode: "train" },
  { name: "GroupNorm 1 group, 2-D input", make: (backend) => new GroupNorm(1, 6, { backend }), shape: [2, 6], mode: "train" },
  { name: "InstanceNorm2d affine", make: (backend) => new InstanceNorm2d(3, { backend, affine: true }), shape: [2, 3, 2, 3], mode: "train" },
  { name: "InstanceNorm1d tracked, eval (frozen running statistics)", make: (backend) => new InstanceNorm1d(3, { backend, affine: true, trackRunningStats: true }), shape: [2, 3, 5], mode: "eval" },
];

/** Loose enough for float32 forwards, tight enough that any wrong term (an O(1) error) fails. */
const FD_TOL = 3e-3;

export function gradcheckSuite(makeBackend: () => Backend): void {
  describe("finite-difference gradient check", () => {
    it.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
      const m = c.make(makeBackend());
      const next = rand(11);
      const size = c.shape.reduce((a, b) => a * b, 1);
      const x = Float32Array.from({ length: size }, () => next() * 2 + 0.3);
      const dy = Float32Array.from({ length: size }, () => next());
      if (m.weight) m.weight.set(Array.from({ length: m.weight.length }, () => 1 + next() * 0.5));
      if (m.bias) m.bias.set(Array.from({ length: m.bias.length }, () => next() * 0.5));
      if ("runningVar" in m && m.runningVar) {
        m.runningMean!.set(Array.from({ length: m.runningMean!.length }, () => next() * 0.5));
        m.runningVar.set(Array.from({ length: m.runningVar.length }, () => 1 + next() * 0.5));
      }
      m.train(c.mode === "train");
      const f = () => loss(m, x, c.shape, dy);
      const saved = m.stateDict();
      m.forward(x, c.shape);
      const g = m.backward(dy);
      m.loadStateDict(saved);
      const h = 1 / 64;
      expectClose(g.dx, numericGrad(x, h, f), FD_TOL, `${c.name} dx`);
      if (m.weight) expectClose(g.dweight, numericGrad(m.weight, h, f), FD_TOL, `${c.name} dweight`);
      if (m.bias) expectClose(g.dbias, numericGrad(m.bias, h, f), FD_TOL, `${c.name} dbias`);
      m.dispose();
    });
  });
}
