// Every bad input of the core issue's list: a clear Error naming the argument and what was
// expected, thrown before any state changed; the module stays usable.
import { describe, it, expect } from "../helpers/test-api.js";
import {
  BatchNorm1d, BatchNorm2d, BatchNorm3d, batchNorm, batchNormBackward, tensor, type Backend, type BatchNormBase,
} from "../../src/index.js";

const SHAPE = [2, 3, 4, 4];
const SIZE = 96;
const ramp = (n: number, k = 0.37) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 2 + 0.5);

/** Everything observable about a module. */
function snapshot(m: BatchNormBase) {
  return {
    state: m.stateDict(),
    weight: m.weight?.slice() ?? null,
    bias: m.bias?.slice() ?? null,
    training: m.training,
    numBatchesTracked: m.numBatchesTracked,
  };
}

/** A module after two training steps and an eval forward, so its state is not the initial one. */
function trainedModule(backend: Backend, options = {}) {
  const m = new BatchNorm2d(3, { backend, ...options });
  m.forward(ramp(SIZE), SHAPE);
  m.backward(ramp(SIZE, 0.11));
  m.forward(ramp(SIZE, 0.53), SHAPE);
  return m;
}

/**
 * Asserts `call` throws an Error matching `message`, that the module's state is unchanged,
 * and that the last forward's backward still gives the same gradients.
 */
function expectRefused(m: BatchNormBase, call: () => unknown, message: RegExp) {
  const before = snapshot(m);
  const dy = ramp(SIZE, 0.29);
  const gradsBefore = m.backward(dy);
  expect(call).toThrow(message);
  expect(snapshot(m)).toEqual(before);
  expect(m.backward(dy)).toEqual(gradsBefore);
  // Still usable for a new forward.
  expect(m.forward(ramp(SIZE), SHAPE).length).toBe(SIZE);
}

export function badInputSuite(makeBackend: () => Backend): void {
  describe("bad input", () => {
    it("x that is not a Float32Array or a tensor", () => {
      const backend = makeBackend();
      const m = trainedModule(backend);
      for (const x of [Array.from(ramp(SIZE)), new Float64Array(SIZE), null, undefined, 3, "x"]) {
        expectRefused(m, () => m.forward(x as never, SHAPE), /BatchNorm2d\.forward: x must be a Float32Array or a Tensor/);
      }
    });

    it("length not equal to the product of the shape", () => {
      const m = trainedModule(makeBackend());
      expectRefused(m, () => m.forward(ramp(SIZE - 1), SHAPE), /x has length 95, but shape \[2, 3, 4, 4\] has 96 elements/);
      expectRefused(m, () => m.forward(ramp(SIZE), undefined as never), /shape is required/);
    });

    it("non-integer, negative, zero or NaN dimensions", () => {
      const m = trainedModule(makeBackend());
      for (const bad of [1.5, -4, 0, NaN, Infinity, "4"]) {
        expectRefused(m, () => m.forward(ramp(SIZE), [2, 3, bad as number, 4]), /shape\[2\] must be a positive integer/);
      }
      expectRefused(m, () => m.forward(ramp(SIZE), "2,3,4,4" as never), /shape must be an array of positive integers/);
    });

    it("wrong rank for the module", () => {
      const backend = makeBackend();
      const m = trainedModule(backend);
      expectRefused(m, () => m.forward(ramp(SIZE), [2, 3, 16]), /BatchNorm2d\.forward: expected 4-D input \(N, C, H, W\), got x of shape \[2, 3, 16\]/);
      const m1 = new BatchNorm1d(3, { backend });
      expect(() => m1.forward(ramp(SIZE), SHAPE)).toThrow(/expected 2-D input \(N, C\) or 3-D input \(N, C, L\)/);
      const m3 = new BatchNorm3d(3, { backend });
      expect(() => m3.forward(ramp(SIZE), SHAPE)).toThrow(/expected 5-D input \(N, C, D, H, W\)/);
      const nhwc = new BatchNorm2d(3, { backend, layout: "NHWC" });
      expect(() => nhwc.forward(ramp(SIZE), [2, 48])).toThrow(/expected 4-D input \(N, H, W, C\)/);
      for (const mod of [m1, m3, nhwc]) mod.dispose();
    });

    it("channel count not matching numFeatures", () => {
      const backend = makeBackend();
      const m = trainedModule(backend);
      expectRefused(m, () => m.forward(ramp(SIZE), [2, 4, 3, 4]), /expected 3 channels \(C in \(N, C, H, W\)\), got 4/);
      const nhwc = new BatchNorm2d(3, { backend, layout: "NHWC" });
      expect(() => nhwc.forward(ramp(SIZE), SHAPE)).toThrow(/expected 3 channels \(C in \(N, H, W, C\)\), got 4/);
      nhwc.dispose();
    });

    it("numFeatures that is not a positive integer", () => {
      const backend = makeBackend();
      for (const bad of [0, -1, 2.5, NaN, "3", null]) {
        expect(() => new BatchNorm2d(bad as number, { backend })).toThrow(/BatchNorm2d: numFeatures must be a positive integer/);
      }
    });

    it("eps negative or not finite", () => {
      const backend = makeBackend();
      for (const bad of [-1e-5, NaN, Infinity, "1e-5"]) {
        expect(() => new BatchNorm2d(3, { backend, eps: bad as number })).toThrow(/eps must be a finite number >= 0/);
      }
      expect(new BatchNorm2d(3, { backend, eps: 0 }).eps).toBe(0);
    });

    it("momentum outside [0, 1] (null allowed)", () => {
      const backend = makeBackend();
      for (const bad of [-0.1, 1.5, NaN, "0.1"]) {
        expect(() => new BatchNorm2d(3, { backend, momentum: bad as number })).toThrow(/momentum must be a number in \[0, 1\] or null/);
      }
      expect(new BatchNorm2d(3, { backend, momentum: null }).momentum).toBeNull();
      expect(() => batchNorm(ramp(SIZE), SHAPE, { backend, training: true, momentum: 2 })).toThrow(/batchNorm: momentum must be a number in \[0, 1\]/);
      // null is a module option (a cumulative average over its batches): the functional call refuses it rather than reading it as 0.1.
      expect(() => batchNorm(ramp(SIZE), SHAPE, { backend, training: true, momentum: null as never })).toThrow(/batchNorm: momentum must be a number in \[0, 1\], got null/);
    });

    it("unknown layout, activation or option", () => {
      const backend = makeBackend();
      expect(() => new BatchNorm2d(3, { backend, layout: "NWHC" as never })).toThrow(/layout must be "NCHW" or "NHWC", got "NWHC"/);
      expect(() => new BatchNorm2d(3, { backend, activation: "gelu" as never })).toThrow(/activation must be "none" or "relu", got "gelu"/);
      expect(() => new BatchNorm2d(3, { backend, moment: 0.1 } as never)).toThrow(/unknown option "moment"/);
    });

    it("training with one value per channel", () => {
      const backend = makeBackend();
      const m = new BatchNorm1d(3, { backend });
      m.forward(ramp(6), [2, 3]);
      const before = snapshot(m);
      expect(() => m.forward(ramp(3), [1, 3])).toThrow(/expected more than 1 value per channel/);
      expect(() => m.forward(ramp(3), [1, 3, 1])).toThrow(/expected more than 1 value per channel/);
      expect(snapshot(m)).toEqual(before);
      // In eval mode the running statistics are used and one value per channel is fine.
      m.eval();
      expect(m.forward(ramp(3), [1, 3]).length).toBe(3);
      // Without running statistics, eval also uses the batch: still an error.
      const untracked = new BatchNorm1d(3, { backend, trackRunningStats: false }).eval();
      expect(() => untracked.forward(ramp(3), [1, 3])).toThrow(/more than 1 value per channel/);
      expect(() => batchNorm(ramp(3), [1, 3], { backend, training: true })).toThrow(/batchNorm: expected more than 1 value per channel/);
    });

    it("backward with no forward before it, or with dy of another length", () => {
      const backend = makeBackend();
      const fresh = new BatchNorm2d(3, { backend });
      expect(() => fresh.backward(ramp(SIZE))).toThrow(/BatchNorm2d\.backward: there is no forward to differentiate/);
      const m = trainedModule(backend);
      expectRefused(m, () => m.backward(ramp(SIZE + 4)), /dy must have 96 elements, the size of the last forward's x \[2, 3, 4, 4\], got length 100/);
      expectRefused(m, () => m.backward(Array.from(ramp(SIZE)) as never), /dy must be a Float32Array or a Tensor/);
      const wrongShape = tensor([2, 3, 2, 8], ramp(SIZE), { backend });
      expectRefused(m, () => m.backward(wrongShape), /shape \[2, 3, 4, 4\] does not match the shape of tensor dy, \[2, 3, 2, 8\]/);
    });

    it("loadStateDict with arrays of the wrong length or bad keys", () => {
      const m = trainedModule(makeBackend());
      const good = m.stateDict();
      expectRefused(m, () => m.loadStateDict({ ...good, running_mean: new Float32Array(4) }), /loadStateDict: stateDict\.running_mean must have length 3 \(one value per channel\), got length 4/);
      expectRefused(m, () => m.loadStateDict({ ...good, weight: new Float32Array(2) }), /stateDict\.weight must have length 3/);
      expectRefused(m, () => m.loadStateDict({ ...good, num_batches_tracked: -1 }), /num_batches_tracked must be a non-negative integer/);
      const { bias: _bias, ...missing } = good;
      expectRefused(m, () => m.loadStateDict(missing), /missing \[bias\]/);
      expectRefused(m, () => m.loadStateDict({ ...good, extra: new Float32Array(3) } as never), /unexpected \[extra\]/);
    });

    it("any call on a disposed module", () => {
      const backend = makeBackend();
      const m = trainedModule(backend);
      m.dispose();
      expect(m.disposed).toBe(true);
      expect(() => m.forward(ramp(SIZE), SHAPE)).toThrow(/BatchNorm2d\.forward: the BatchNorm2d module was disposed/);
      expect(() => m.backward(ramp(SIZE))).toThrow(/BatchNorm2d\.backward: the BatchNorm2d module was disposed/);
      expect(() => m.stateDict()).toThrow(/disposed/);
      expect(() => m.loadStateDict({})).toThrow(/disposed/);
      expect(() => m.eval()).toThrow(/disposed/);
      expect(() => m.dispose()).not.toThrow();
    });

    it("tensors: disposed, or from another backend's memory", () => {
      const backend = makeBackend();
      const m = trainedModule(backend);
      const x = tensor(SHAPE, ramp(SIZE), { backend });
      x.dispose();
      expectRefused(m, () => m.forward(x), /tensor of shape \[2, 3, 4, 4\] was disposed/);
      const foreign = tensor(SHAPE, ramp(SIZE), { backend: makeBackend() });
      expectRefused(m, () => m.forward(foreign), /x is a tensor of another backend's memory/);
      // Backward after the forward's input tensor was disposed.
      const live = tensor(SHAPE, ramp(SIZE), { backend });
      m.forward(live).dispose();
      live.dispose();
      expect(() => m.backward(ramp(SIZE))).toThrow(/BatchNorm2d\.backward \(x of the forward\): the tensor of shape \[2, 3, 4, 4\] was disposed/);
    });

    it("functional API: missing statistics, wrong lengths", () => {
      const backend = makeBackend();
      expect(() => batchNorm(ramp(SIZE), SHAPE, { backend })).toThrow(/batchNorm: runningMean and runningVar are required when training is false/);
      expect(() => batchNorm(ramp(SIZE), SHAPE, { backend, training: true, weight: new Float32Array(2) })).toThrow(/batchNorm: weight must have length 3/);
      const runningMean = new Float32Array(3), runningVar = new Float32Array(3).fill(1);
      expect(() => batchNorm(ramp(SIZE), SHAPE, { backend, training: true, runningMean, runningVar: new Float64Array(3) as never })).toThrow(/runningVar must be a Float32Array of length 3/);
      expect(runningMean).toEqual(new Float32Array(3));
      expect(() => batchNormBackward(ramp(SIZE), ramp(SIZE), SHAPE, { backend, training: true })).toThrow(/saveMean and saveInvstd .* are required/);
      expect(() => batchNormBackward(ramp(SIZE - 1), ramp(SIZE), SHAPE, { backend, runningMean, runningVar })).toThrow(/dy has length 95, but shape \[2, 3, 4, 4\] has 96 elements/);
    });
  });
}
