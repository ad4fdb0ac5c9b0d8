// The `out` options (issue 13): every module and functional op writes into the caller's
// Float32Array when asked (the same numbers as the default call, the same array returned),
// refuses a bad one before changing anything, reads and writes views of the backend's
// memory in place, and stays right when such a view is aliased or detached by growth.
import { describe, it, expect } from "../helpers/test-api.js";
import {
  BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm, RMSNorm, addLayerNorm, addLayerNormBackward, addRmsNorm,
  addRmsNormBackward, batchNorm, batchNormBackward, batchNormBackwardElemt, batchNormElemt, batchNormRelu,
  batchNormReluBackward, groupNorm, groupNormBackward, instanceNorm, instanceNormBackward, layerNorm, layerNormBackward,
  rmsNorm, rmsNormBackward, tensor, type Backend,
} from "../../src/index.js";

const SHAPE = [4, 6, 3, 5];
const SIZE = 360;
const ramp = (n: number, k: number, offset = 0.5) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 2 + offset);
const X = ramp(SIZE, 0.37), DY = ramp(SIZE, 0.91, 0), R = ramp(SIZE, 0.53, -0.2);
const W6 = Float32Array.from({ length: 6 }, (_, i) => 0.5 + i / 6), B6 = Float32Array.from({ length: 6 }, (_, i) => i / 10 - 0.2);
const W5 = Float32Array.from({ length: 5 }, (_, i) => 0.7 + i / 9), B5 = Float32Array.from({ length: 5 }, (_, i) => 0.1 - i / 20);

type Outputs = Record<string, Float32Array | Float64Array | null | undefined>;

/** An op run with the given output options; returns every output by name (outputs of an option are named as the option). */
interface OutCase {
  readonly name: string;
  /** The output options it takes, each a Float32Array of SIZE. */
  readonly options: readonly string[];
  run(backend: Backend, outs: Record<string, Float32Array>): Outputs;
}

/** A module's forward (into `out`) and backward (into `dx`) in training mode, then an eval forward. */
function moduleCase(name: string, make: (backend: Backend) => BatchNorm2d | BatchNorm1d | LayerNorm | GroupNorm | InstanceNorm2d | RMSNorm, shape = SHAPE): OutCase {
  return {
    name, options: ["out", "dx", "evalOut"],
    run(backend, outs) {
      const m = make(backend);
      const out = m.forward(X, shape, outs.out ? { out: outs.out } : undefined);
      const g = m.backward(DY, outs.dx ? { dx: outs.dx } : undefined);
      m.eval();
      const evalOut = m.forward(R, shape, outs.evalOut ? { out: outs.evalOut } : undefined);
      const sd = m.stateDict();
      m.dispose();
      return { out, dx: g.dx, dweight: g.dweight, dbias: g.dbias, evalOut, runningMean: sd.running_mean, runningVar: sd.running_var };
    },
  };
}

const CASES: readonly OutCase[] = [
  moduleCase("BatchNorm2d", (backend) => new BatchNorm2d(6, { backend })),
  moduleCase("BatchNorm2d NHWC, fused ReLU", (backend) => new BatchNorm2d(5, { backend, layout: "NHWC", activation: "relu" })),
  moduleCase("BatchNorm1d", (backend) => new BatchNorm1d(6, { backend }), [4, 6, 15]),
  moduleCase("LayerNorm", (backend) => new LayerNorm([3, 5], { backend })),
  moduleCase("GroupNorm", (backend) => new GroupNorm(3, 6, { backend })),
  moduleCase("InstanceNorm2d with running statistics", (backend) => new InstanceNorm2d(6, { backend, affine: true, trackRunningStats: true })),
  moduleCase("RMSNorm", (backend) => new RMSNorm(5, { backend })),
  ...[false, true].map((relu): OutCase => ({
    name: relu ? "batchNormRelu / batchNormReluBackward" : "batchNorm / batchNormBackward", options: ["out", "dx"],
    run(backend, outs) {
      const runningMean = new Float32Array(6), runningVar = new Float32Array(6).fill(1);
      const common = { backend, weight: W6, training: true };
      const f = (relu ? batchNormRelu : batchNorm)(X, SHAPE, { ...common, bias: B6, runningMean, runningVar, out: outs.out });
      const g = (relu ? batchNormReluBackward : batchNormBackward)(DY, X, SHAPE, {
        ...common, saveMean: f.saveMean, saveInvstd: f.saveInvstd, dx: outs.dx, ...(relu ? { bias: B6 } : {}),
      });
      return { out: f.y, saveInvstd: f.saveInvstd, runningMean, runningVar, dx: g.dx, dweight: g.dweight, dbias: g.dbias };
    },
  })),
  {
    name: "layerNorm / layerNormBackward", options: ["out", "dx"],
    run(backend, outs) {
      const f = layerNorm(X, SHAPE, [3, 5], { backend, bias: Float32Array.from({ length: 15 }, (_, i) => i / 30), out: outs.out });
      const g = layerNormBackward(DY, X, SHAPE, [3, 5], { backend, saveMean: f.saveMean, saveInvstd: f.saveInvstd, dx: outs.dx });
      return { out: f.y, saveInvstd: f.saveInvstd, dx: g.dx, dweight: g.dweight, dbias: g.dbias };
    },
  },
  {
    name: "groupNorm / groupNormBackward", options: ["out", "dx"],
    run(backend, outs) {
      const f = groupNorm(X, SHAPE, 2, { backend, weight: W6, bias: B6, out: outs.out });
      const g = groupNormBackward(DY, X, SHAPE, 2, { backend, weight: W6, dx: outs.dx });
      return { out: f.y, saveInvstd: f.saveInvstd, dx: g.dx, dweight: g.dweight, dbias: g.dbias };
    },
  },
  ...[true, false].map((useInputStats): OutCase => ({
    name: `instanceNorm / instanceNormBackward, useInputStats ${useInputStats}`, options: ["out", "dx"],
    run(backend, outs) {
      const runningMean = new Float32Array(6).fill(0.1), runningVar = new Float32Array(6).fill(1.5);
      const common = { backend, weight: W6, useInputStats, runningMean, runningVar };
      const f = instanceNorm(X, SHAPE, { ...common, bias: B6, out: outs.out });
      const g = instanceNormBackward(DY, X, SHAPE, { ...common, dx: outs.dx });
      return { out: f.y, runningMean, runningVar, dx: g.dx, dweight: g.dweight, dbias: g.dbias };
    },
  })),
  {
    name: "rmsNorm / rmsNormBackward", options: ["out", "dx"],
    run(backend, outs) {
      const f = rmsNorm(X, SHAPE, 5, { backend, weight: W5, out: outs.out });
      const g = rmsNormBackward(DY, X, SHAPE, 5, { backend, weight: W5, saveInvRms: f.saveInvRms, dx: outs.dx });
      return { out: f.y, saveInvRms: f.saveInvRms, dx: g.dx, dweight: g.dweight };
    },
  },
  ...[true, false].map((centered): OutCase => ({
    name: centered ? "addLayerNorm / addLayerNormBackward" : "addRmsNorm / addRmsNormBackward", options: ["out", "outSum", "dx"],
    run(backend, outs) {
      const forward = { backend, weight: W5, addBias: B5, out: outs.out, outSum: outs.outSum };
      if (centered) {
        const f = addLayerNorm(X, R, SHAPE, 5, { ...forward, bias: B5 });
        const g = addLayerNormBackward(DY, f.sum, SHAPE, 5, { backend, weight: W5, dsum: R, saveMean: f.saveMean, saveInvstd: f.saveInvstd, dx: outs.dx });
        return { out: f.y, outSum: f.sum, dx: g.dx, dweight: g.dweight, dbias: g.dbias, daddBias: g.daddBias };
      }
      const f = addRmsNorm(X, R, SHAPE, 5, forward);
      const g = addRmsNormBackward(DY, f.sum, SHAPE, 5, { backend, weight: W5, dsum: R, saveInvRms: f.saveInvRms, dx: outs.dx });
      return { out: f.y, outSum: f.sum, dx: g.dx, dweight: g.dweight, daddBias: g.daddBias };
    },
  })),
  {
    name: "batchNormElemt / batchNormBackwardElemt", options: ["out", "dx"],
    run(backend, outs) {
      const stats = { mean: Float64Array.from(W6, (w) => w - 0.6), invstd: Float64Array.from(B6, (b) => 1.5 + b) };
      const out = batchNormElemt(X, SHAPE, { backend, ...stats, weight: W6, bias: B6, out: outs.out });
      const sums = { sumDy: Float64Array.from(W6, (w) => w * 3), sumDyXmu: Float64Array.from(B6, (b) => b * 7) };
      const dx = batchNormBackwardElemt(DY, X, SHAPE, { backend, ...stats, ...sums, weight: W6, count: 90, dx: outs.dx });
      return { out, dx };
    },
  },
];

const freshOuts = (options: readonly string[]) => Object.fromEntries(options.map((o) => [o, new Float32Array(SIZE).fill(NaN)]));

export function outSuite(makeBackend: () => Backend): void {
  describe("out: writing into the caller's arrays", () => {
    it.each(CASES.map((c) => [c.name, c] as const))("%s: the default call's numbers, in the caller's arrays", (_name, c) => {
      const backend = makeBackend();
      const want = c.run(backend, {});
      const outs = freshOuts(c.options);
      const got = c.run(backend, outs);
      for (const o of c.options) expect(got[o], o).toBe(outs[o]);
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const key of Object.keys(want)) expect(got[key], key).toEqual(want[key]);
    });

    it.each(CASES.map((c) => [c.name, c] as const))("%s: views of the backend's memory are written in place", (_name, c) => {
      const backend = makeBackend();
      const want = c.run(backend, {});
      const tensors = c.options.map(() => tensor([SIZE], undefined, { backend }));
      const outs = Object.fromEntries(c.options.map((o, i) => [o, tensors[i].data]));
      const got = c.run(backend, outs);
      for (let i = 0; i < c.options.length; i++) {
        const o = c.options[i];
        expect(tensors[i].data, o).toEqual(want[o]);
        // The same memory: the array itself, or (the memory grew during the call) a new view of it.
        expect((got[o] as Float32Array).byteOffset, o).toBe(tensors[i].data.byteOffset);
        expect(got[o], o).toEqual(want[o]);
      }
      for (const t of tensors) t.dispose();
    });

    it("a view of the backend's memory as x is read in place, as a tensor is: no staging region for it", () => {
      const backend = makeBackend();
      const xt = tensor(SHAPE, X, { backend }), yt = tensor(SHAPE, undefined, { backend });
      const viewed = new BatchNorm2d(6, { backend }), copied = new BatchNorm2d(6, { backend });
      const before = backend.memoryStats().liveBytes;
      viewed.forward(xt.data, SHAPE, { out: yt.data });
      const grownByView = backend.memoryStats().liveBytes - before;
      copied.forward(X, SHAPE, { out: new Float32Array(SIZE) });
      const grownByArray = backend.memoryStats().liveBytes - before - grownByView;
      // The array call stages x (SIZE floats); the view call stages neither x nor y.
      expect(grownByArray - grownByView).toBeGreaterThanOrEqual(SIZE * 4);
      expect(yt.data).toEqual(copied.forward(X, SHAPE));
      // In place like a tensor: the backward reads x where the forward read it.
      const g1 = viewed.backward(DY);
      xt.data.set(R);
      const g2 = viewed.backward(DY);
      expect(g2.dx).not.toEqual(g1.dx);
      for (const t of [xt, yt]) t.dispose();
    });

    it("out may alias x, and dx may alias dy: plain arrays and views alike, and the backward still reads the forward's x", () => {
      const backend = makeBackend();
      const ref = new BatchNorm2d(6, { backend });
      const y = ref.forward(X, SHAPE);
      const { dx } = ref.backward(DY);
      const a = new BatchNorm2d(6, { backend });
      const x = X.slice(), g = DY.slice();
      expect(a.forward(x, SHAPE, { out: x })).toBe(x);
      expect(x).toEqual(y);
      expect(a.backward(g, { dx: g }).dx).toBe(g);
      expect(g).toEqual(dx);
      const b = new BatchNorm2d(6, { backend });
      const xt = tensor(SHAPE, X, { backend }), dyt = tensor(SHAPE, DY, { backend });
      b.forward(xt.data, SHAPE, { out: xt.data });
      expect(xt.data).toEqual(y);
      b.backward(dyt.data, { dx: dyt.data });
      expect(dyt.data).toEqual(dx);
      // Functional backward with dx on the same view as dy, x a view too.
      const xv = tensor(SHAPE, X, { backend }), dyv = tensor(SHAPE, DY, { backend });
      const f = batchNorm(X, SHAPE, { backend, training: true });
      const want = batchNormBackward(DY, X, SHAPE, { backend, training: true, saveMean: f.saveMean, saveInvstd: f.saveInvstd });
      batchNormBackward(dyv.data, xv.data, SHAPE, { backend, training: true, saveMean: f.saveMean, saveInvstd: f.saveInvstd, dx: xv.data });
      expect(xv.data).toEqual(want.dx);
      for (const t of [xt, dyt, xv, dyv]) t.dispose();
    });

    it("a bad out or dx is refused before anything changes", () => {
      const backend = makeBackend();
      const m = new BatchNorm2d(6, { backend });
      m.forward(X, SHAPE);
      const sd = m.stateDict();
      const xt = tensor(SHAPE, X, { backend });
      const bad: Array<[unknown, RegExp]> = [
        [new Float32Array(SIZE - 1), /BatchNorm2d\.forward: out must have 360 elements \(the size of x, shape \[4, 6, 3, 5\]\), got length 359/],
        [new Float64Array(SIZE), /BatchNorm2d\.forward: out must be a Float32Array of 360 elements, got Float64Array\(360\)/],
        [Array.from(X), /BatchNorm2d\.forward: out must be a Float32Array of 360 elements, got \[/],
        [xt, /BatchNorm2d\.forward: out must be a Float32Array of 360 elements, got Tensor/],
      ];
      for (const [out, message] of bad) expect(() => m.forward(R, SHAPE, { out } as never)).toThrow(message);
      expect(() => m.forward(xt, null, { out: new Float32Array(SIZE) } as never)).toThrow(
        /BatchNorm2d\.forward: out is for a Float32Array x; with a tensor x the result is a new tensor \(pass x\.data/);
      expect(() => m.forward(R, SHAPE, { outt: new Float32Array(SIZE) } as never)).toThrow(/BatchNorm2d\.forward: unknown option "outt" \(expected one of out\)/);
      expect(() => m.backward(DY, { dx: new Float32Array(3) })).toThrow(/BatchNorm2d\.backward: dx must have 360 elements \(the size of dy/);
      expect(m.stateDict()).toEqual(sd);
      expect(m.numBatchesTracked).toBe(1);
      // The last good forward is still the one a backward differentiates.
      const g = m.backward(DY);
      const again = new BatchNorm2d(6, { backend });
      again.forward(X, SHAPE);
      expect(g.dx).toEqual(again.backward(DY).dx);
      // Functional calls: the running statistics are untouched.
      const runningMean = new Float32Array(6), runningVar = new Float32Array(6).fill(1);
      expect(() => batchNorm(X, SHAPE, { backend, training: true, runningMean, runningVar, out: new Float32Array(SIZE + 1) })).toThrow(
        /batchNorm: out must have 360 elements/);
      expect(runningMean).toEqual(new Float32Array(6));
      expect(runningVar).toEqual(new Float32Array(6).fill(1));
      expect(() => instanceNorm(X, SHAPE, { backend, runningMean, runningVar, out: new Int32Array(SIZE) as never })).toThrow(
        /instanceNorm: out must be a Float32Array of 360 elements, got Int32Array\(360\)/);
      expect(runningMean).toEqual(new Float32Array(6));
      expect(() => layerNormBackward(DY, X, SHAPE, 5, { backend, dx: new Float32Array(5) })).toThrow(/layerNormBackward: dx must have 360 elements \(the size of dy/);
      const shared = new Float32Array(2 * SIZE);
      expect(() => addLayerNorm(X, R, SHAPE, 5, { backend, out: shared.subarray(0, SIZE), outSum: shared.subarray(SIZE / 2, SIZE * 1.5) })).toThrow(
        /addLayerNorm: out and outSum share memory/);
      xt.dispose();
    });

    it("views detached by memory growth: refused as inputs or outputs, and an output detached during the call comes back as a new view", () => {
      const backend = makeBackend();
      if (backend.kind === "reference") return; // its memory never grows: nothing detaches
      const n = 1 << 18, shape = [n / 64, 64];
      const x = ramp(n, 0.11);
      const want = new BatchNorm1d(64, { backend }).forward(x, shape);
      const yt = tensor(shape, undefined, { backend });
      const out = yt.data;
      // A new module stages x (a megabyte) right away: the memory grows and `out` detaches mid-call.
      const before = backend.memoryStats().memoryBytes;
      const y = new BatchNorm1d(64, { backend }).forward(x, shape, { out });
      expect(backend.memoryStats().memoryBytes).toBeGreaterThan(before);
      expect(out.length).toBe(0);
      expect(y.length).toBe(n);
      expect(y.byteOffset).toBe(yt.data.byteOffset);
      // (Element by element: toEqual on a quarter million floats takes seconds.)
      const same = (a: Float32Array) => a.length === n && a.every((v, i) => Object.is(v, want[i]));
      expect(same(y)).toBe(true);
      expect(same(yt.data)).toBe(true);
      // The detached view itself is refused, with a hint.
      const m = new BatchNorm1d(64, { backend });
      expect(() => m.forward(out, shape)).toThrow(/BatchNorm1d\.forward: x has length 0, but shape \[4096, 64\] has 262144 elements \(a view of a backend's memory is detached/);
      expect(() => m.forward(x, shape, { out })).toThrow(/BatchNorm1d\.forward: out must have 262144 elements .*got length 0 \(a view of a backend's memory is detached/);
      expect(m.numBatchesTracked).toBe(0);
      yt.dispose();
    });
  });
}
