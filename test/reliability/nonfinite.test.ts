// NaN and Infinity are data, not errors: they stay in their own normalization unit (a batch-
// norm or instance-norm channel, a group-norm group, a layer-norm row). Each case runs once on
// clean data and once with one value of one unit poisoned (in x, or in dy); everything
// outside that unit (outputs, gradients, parameter gradients of other channels, running
// statistics of other channels) must be bit-identical to the clean run's, and the poisoned
// unit must show the poison rather than hide it.
import { describe, expect, it } from "vitest";
import {
  BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm, RMSNorm, addLayerNorm, addLayerNormBackward, addRmsNorm,
  addRmsNormBackward, batchNorm, batchNormBackward, createBackend, createReferenceBackend, groupNorm, groupNormBackward,
  instanceNorm, instanceNormBackward, layerNorm, layerNormBackward, rmsNorm, rmsNormBackward, type Backend,
} from "../../src/index.js";
import { gaussian, seededRandom } from "../helpers/random.js";

const BACKENDS: Array<[string, () => Backend]> = [
  ["simd", () => createBackend({ simd: true })],
  ["scalar", () => createBackend({ simd: false })],
  ["reference", () => createReferenceBackend()],
];

function values(n: number, seed: number, mean = 0): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n }, () => mean + gaussian(rand));
}

interface Outputs {
  y: Float32Array;
  dx: Float32Array;
  dweight: Float32Array | null;
  dbias: Float32Array | null;
  /** Running mean and variance after the call, when the op has them (per channel). */
  running: Float32Array[];
}

interface NonFiniteCase {
  name: string;
  shape: number[];
  /** The unit of element i; unit 1 is poisoned. */
  unitOf: (i: number) => number;
  /** Whether parameter (channel / element) p gathers from the poisoned unit. */
  touched: (p: number) => boolean;
  /** Whether the poisoned unit normalizes with statistics of its own data (then all of it turns non-finite). */
  ownStats: boolean;
  /**
   * RMS norm: an infinity makes the unit's mean square infinite and its 1 / RMS zero, so its
   * other values come out 0 (x * rsqrt(inf), as the definition and PyTorch's composite) and
   * only the infinity itself shows (inf * 0 = NaN); NaN still spreads over the unit.
   */
  rms?: boolean;
  run: (backend: Backend, x: Float32Array, dy: Float32Array) => Outputs;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A module's forward and backward after one clean training step (so running statistics are not the initial ones). */
function moduleRun(make: (backend: Backend) => BatchNorm1d | BatchNorm2d | LayerNorm | GroupNorm | InstanceNorm2d | RMSNorm, shape: number[], mode: "train" | "eval") {
  return (backend: Backend, x: Float32Array, dy: Float32Array): Outputs => {
    const m = make(backend);
    if (m.weight) m.weight.set(values(m.weight.length, 11, 1));
    if (m.bias) m.bias.set(values(m.bias.length, 12));
    m.forward(values(size(shape), 13, 0.5), shape);
    m.train(mode === "train");
    const y = m.forward(x, shape);
    const g = m.backward(dy);
    const running = "runningMean" in m && m.runningMean ? [m.runningMean.slice(), m.runningVar!.slice()] : [];
    m.dispose();
    return { y, dx: g.dx, dweight: g.dweight, dbias: g.dbias, running };
  };
}

// Shapes: NCHW (2, 3, 4, 5) for batch / group / instance norm; unit 1 is channel 1, group 1
// (channels 2 and 3 of sample 0 in 2 groups of 2 of a 4-channel tensor), plane (0, 1).
const nchw = [2, 3, 4, 5], S = 20;
const channel = (i: number) => Math.floor(i / S) % 3;
const CASES: NonFiniteCase[] = [
  {
    name: "BatchNorm2d NCHW, training", shape: nchw, unitOf: channel, touched: (c) => c === 1, ownStats: true,
    run: moduleRun((backend) => new BatchNorm2d(3, { backend }), nchw, "train"),
  },
  {
    name: "BatchNorm2d NHWC with ReLU, training", shape: [2, 4, 5, 3], unitOf: (i) => i % 3, touched: (c) => c === 1, ownStats: true,
    run: moduleRun((backend) => new BatchNorm2d(3, { backend, layout: "NHWC", activation: "relu" }), [2, 4, 5, 3], "train"),
  },
  {
    name: "BatchNorm1d (N, C), momentum null, training", shape: [40, 3], unitOf: (i) => i % 3, touched: (c) => c === 1, ownStats: true,
    run: moduleRun((backend) => new BatchNorm1d(3, { backend, momentum: null }), [40, 3], "train"),
  },
  {
    name: "BatchNorm2d, eval (running statistics)", shape: nchw, unitOf: channel, touched: (c) => c === 1, ownStats: false,
    run: moduleRun((backend) => new BatchNorm2d(3, { backend }), nchw, "eval"),
  },
  {
    name: "LayerNorm over the last two dims", shape: [3, 4, 5], unitOf: (i) => Math.floor(i / 20), touched: () => true, ownStats: true,
    run: moduleRun((backend) => new LayerNorm([4, 5], { backend }), [3, 4, 5], "train"),
  },
  {
    name: "GroupNorm, 2 groups of 2 channels", shape: [2, 4, 5], unitOf: (i) => Math.floor(i / 10), touched: (c) => c >= 2, ownStats: true,
    run: moduleRun((backend) => new GroupNorm(2, 4, { backend }), [2, 4, 5], "train"),
  },
  {
    name: "InstanceNorm2d, affine, tracked, training", shape: nchw, unitOf: (i) => Math.floor(i / S), touched: (c) => c === 1, ownStats: true,
    run: moduleRun((backend) => new InstanceNorm2d(3, { backend, affine: true, trackRunningStats: true }), nchw, "train"),
  },
  {
    name: "InstanceNorm2d, affine, tracked, eval", shape: nchw, unitOf: (i) => Math.floor(i / S), touched: (c) => c === 1, ownStats: false,
    run: moduleRun((backend) => new InstanceNorm2d(3, { backend, affine: true, trackRunningStats: true }), nchw, "eval"),
  },
  {
    name: "RMSNorm over the last two dims", shape: [3, 4, 5], unitOf: (i) => Math.floor(i / 20), touched: () => true, ownStats: true, rms: true,
    run: moduleRun((backend) => new RMSNorm([4, 5], { backend }), [3, 4, 5], "train"),
  },
  {
    name: "rmsNorm / rmsNormBackward", shape: [6, 10], unitOf: (i) => Math.floor(i / 10), touched: () => true, ownStats: true, rms: true,
    run: (backend, x, dy) => {
      const f = rmsNorm(x, [6, 10], 10, { backend, weight: values(10, 14, 1) });
      const g = rmsNormBackward(dy, x, [6, 10], 10, { backend, weight: values(10, 14, 1), saveInvRms: f.saveInvRms });
      return { y: f.y, dx: g.dx, dweight: g.dweight, dbias: null, running: [] };
    },
  },
  {
    // The poison enters through x into one row of the sum; dsum is the clean residual's gradient.
    name: "addLayerNorm / addLayerNormBackward", shape: [6, 10], unitOf: (i) => Math.floor(i / 10), touched: () => true, ownStats: true,
    run: (backend, x, dy) => {
      const options = { backend, weight: values(10, 14, 1), bias: values(10, 15), addBias: values(10, 16) };
      const f = addLayerNorm(x, values(60, 17), [6, 10], 10, options);
      const g = addLayerNormBackward(dy, f.sum, [6, 10], 10, {
        backend, weight: options.weight, dsum: values(60, 18), saveMean: f.saveMean, saveInvstd: f.saveInvstd,
      });
      return { y: f.y, dx: g.dx, dweight: g.dweight, dbias: g.dbias, running: [] };
    },
  },
  {
    name: "addRmsNorm / addRmsNormBackward", shape: [6, 10], unitOf: (i) => Math.floor(i / 10), touched: () => true, ownStats: true, rms: true,
    run: (backend, x, dy) => {
      const f = addRmsNorm(x, values(60, 17), [6, 10], 10, { backend, weight: values(10, 14, 1), addBias: values(10, 16) });
      const g = addRmsNormBackward(dy, f.sum, [6, 10], 10, { backend, weight: values(10, 14, 1), dsum: values(60, 18) });
      return { y: f.y, dx: g.dx, dweight: g.dweight, dbias: null, running: [] };
    },
  },
  {
    name: "batchNorm / batchNormBackward", shape: nchw, unitOf: channel, touched: (c) => c === 1, ownStats: true,
    run: (backend, x, dy) => {
      const runningMean = new Float32Array(3), runningVar = new Float32Array(3).fill(1);
      const f = batchNorm(x, nchw, { training: true, backend, runningMean, runningVar });
      const g = batchNormBackward(dy, x, nchw, { training: true, saveMean: f.saveMean, saveInvstd: f.saveInvstd, backend });
      return { y: f.y, ...g, running: [runningMean, runningVar] };
    },
  },
  {
    name: "layerNorm / layerNormBackward", shape: [6, 10], unitOf: (i) => Math.floor(i / 10), touched: () => true, ownStats: true,
    run: (backend, x, dy) => {
      const f = layerNorm(x, [6, 10], 10, { backend });
      return { y: f.y, ...layerNormBackward(dy, x, [6, 10], 10, { backend, saveMean: f.saveMean, saveInvstd: f.saveInvstd }), running: [] };
    },
  },
  {
    name: "groupNorm / groupNormBackward", shape: [2, 4, 5], unitOf: (i) => Math.floor(i / 10), touched: (c) => c >= 2, ownStats: true,
    run: (backend, x, dy) => {
      const f = groupNorm(x, [2, 4, 5], 2, { backend });
      return { y: f.y, ...groupNormBackward(dy, x, [2, 4, 5], 2, { backend }), running: [] };
    },
  },
  {
    name: "instanceNorm / instanceNormBackward", shape: nchw, unitOf: (i) => Math.floor(i / S), touched: (c) => c === 1, ownStats: true,
    run: (backend, x, dy) => {
      const runningMean = new Float32Array(3), runningVar = new Float32Array(3).fill(1);
      const f = instanceNorm(x, nchw, { backend, runningMean, runningVar });
      const g = instanceNormBackward(dy, x, nchw, { backend, saveMean: f.saveMean, saveInvstd: f.saveInvstd });
      return { y: f.y, ...g, running: [runningMean, runningVar] };
    },
  },
];

/** Asserts got[i] is bit-identical to want[i] wherever keep(i). */
function expectSameWhere(got: Float32Array, want: Float32Array, keep: (i: number) => boolean, label: string) {
  for (let i = 0; i < want.length; i++) {
    if (keep(i) && !Object.is(got[i], want[i])) throw new Error(`${label}[${i}]: ${got[i]} after poisoning, ${want[i]} on clean data`);
  }
}

describe.each(BACKENDS)("%s backend", (_name, make) => {
  describe.each(CASES.map((c) => [c.name, c] as const))("%s", (_n, c) => {
    const n = size(c.shape);
    const x = values(n, 21, 1.5), dy = values(n, 22);
    const first = Array.from({ length: n }, (_, i) => i).filter((i) => c.unitOf(i) === 1);
    const at = first[Math.floor(first.length / 2)];
    const outside = (i: number) => c.unitOf(i) !== 1;

    it.each([NaN, Infinity, -Infinity])("x with %s in one value of unit 1", (poison) => {
      const clean = c.run(make(), x, dy);
      const dirtyX = x.slice();
      dirtyX[at] = poison;
      const dirty = c.run(make(), dirtyX, dy);
      expectSameWhere(dirty.y, clean.y, outside, "y");
      expectSameWhere(dirty.dx, clean.dx, outside, "dx");
      if (clean.dweight) expectSameWhere(dirty.dweight!, clean.dweight, (p) => !c.touched(p), "dweight");
      // (dbias of the poisoned unit's channels may move in the last bits: their sums are redone
      // in f64 once the f32 ones come out non-finite; behind a ReLU they are masked to 0.)
      if (clean.dbias) expectSameWhere(dirty.dbias!, clean.dbias, (p) => !c.touched(p), "dbias");
      clean.running.forEach((r, k) => {
        expectSameWhere(dirty.running[k], r, (ch) => ch !== 1, `running statistics ${k}`);
        expect(dirty.running[k].filter((_, ch) => ch !== 1).every(Number.isFinite)).toBe(true);
      });
      // The poison shows where it is: the poisoned value's output, and with statistics of
      // its own data the whole unit (and its running statistics) are non-finite.
      expect(Number.isFinite(dirty.y[at])).toBe(false);
      if (c.rms && !Number.isNaN(poison)) {
        expect(first.every((i) => i === at || dirty.y[i] === 0)).toBe(true);
      } else if (c.ownStats) {
        expect(first.every((i) => !Number.isFinite(dirty.y[i]))).toBe(true);
        dirty.running.forEach((r) => expect(Number.isFinite(r[1])).toBe(false));
      } else {
        // Running statistics: only the poisoned value's own output is touched.
        expectSameWhere(dirty.y, clean.y, (i) => i !== at, "y");
      }
    });

    it.each([NaN, Infinity])("dy with %s in one value of unit 1", (poison) => {
      const clean = c.run(make(), x, dy);
      const dirtyDy = dy.slice();
      dirtyDy[at] = poison;
      const dirty = c.run(make(), x, dirtyDy);
      expect(dirty.y).toEqual(clean.y);
      expectSameWhere(dirty.dx, clean.dx, outside, "dx");
      if (clean.dweight) expectSameWhere(dirty.dweight!, clean.dweight, (p) => !c.touched(p), "dweight");
      if (clean.dbias) expectSameWhere(dirty.dbias!, clean.dbias, (p) => !c.touched(p), "dbias");
    });
  });
});
