// Bad input to the layer, group and instance norm modules and functional ops: a clear Error
// naming the call, the argument and what was expected, thrown before any state changed; the
// module stays usable.
import { describe, it, expect } from "../helpers/test-api.js";
import {
  GroupNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LayerNorm, RMSNorm, groupNorm, groupNormBackward, instanceNorm,
  instanceNormBackward, layerNorm, layerNormBackward, tensor, type Backend,
} from "../../src/index.js";

export const ramp = (n: number, k = 0.37) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 2 + 0.5);

type AnyNorm = LayerNorm | GroupNorm | InstanceNorm2d | RMSNorm;

/** Everything observable about a module. */
function snapshot(m: AnyNorm) {
  return {
    state: m.stateDict(),
    weight: m.weight?.slice() ?? null,
    bias: m.bias?.slice() ?? null,
    training: m.training,
    running: "runningMean" in m ? [m.runningMean?.slice() ?? null, m.runningVar?.slice() ?? null, m.numBatchesTracked] : null,
  };
}

export interface Subject { m: AnyNorm; shape: number[]; size: number }

/** A module after a training forward / backward and a second forward, so its state is not the initial one. */
export function trained(m: AnyNorm, shape: number[]): Subject {
  const size = shape.reduce((a, b) => a * b, 1);
  if (m.weight) m.weight.set(ramp(m.weight.length, 1.3));
  m.forward(ramp(size), shape);
  m.backward(ramp(size, 0.11));
  m.forward(ramp(size, 0.53), shape);
  return { m, shape, size };
}

/**
 * Asserts `call` throws an Error matching `message`, that the module's state is unchanged,
 * that the last forward's backward still gives the same gradients, and that it still works.
 */
export function expectRefused(s: Subject, call: () => unknown, message: RegExp) {
  const { m, shape, size } = s;
  const before = snapshot(m);
  const dy = ramp(size, 0.29);
  const gradsBefore = m.backward(dy);
  expect(call).toThrow(message);
  expect(snapshot(m)).toEqual(before);
  expect(m.backward(dy)).toEqual(gradsBefore);
  expect(m.forward(ramp(size), shape).length).toBe(size);
}

/** The core list, for any module: x kind, length, dims, backward misuse, disposal. */
export function coreRefusals(kind: string, make: (backend: Backend) => Subject, makeBackend: () => Backend) {
  it(`${kind}: x that is not a Float32Array or a tensor, lengths and dims that do not fit`, () => {
    const s = make(makeBackend());
    const where = new RegExp(`${kind}\\.forward: x must be a Float32Array or a Tensor`);
    for (const x of [Array.from(ramp(s.size)), new Float64Array(s.size), null, undefined, 3]) {
      expectRefused(s, () => s.m.forward(x as never, s.shape), where);
    }
    expectRefused(s, () => s.m.forward(ramp(s.size - 1), s.shape), new RegExp(`x has length ${s.size - 1}, but shape`));
    expectRefused(s, () => s.m.forward(ramp(s.size), undefined as never), /shape is required/);
    for (const bad of [1.5, -4, 0, NaN, "4"]) {
      const shape = s.shape.slice();
      shape[1] = bad as number;
      expectRefused(s, () => s.m.forward(ramp(s.size), shape), /shape\[1\] must be a positive integer/);
    }
  });

  it(`${kind}: backward with dy of another length or shape`, () => {
    const backend = makeBackend();
    const s = make(backend);
    expectRefused(s, () => s.m.backward(ramp(s.size + 4)), new RegExp(`${kind}\\.backward: dy must have ${s.size} elements, the size of the last forward's x`));
    expectRefused(s, () => s.m.backward(Array.from(ramp(s.size)) as never), /dy must be a Float32Array or a Tensor/);
    const wrong = [...s.shape.slice(0, -1).map((v, i) => (i === 0 ? v * s.shape[s.shape.length - 1] : v)), 1];
    const dy = tensor(wrong, ramp(s.size), { backend });
    expectRefused(s, () => s.m.backward(dy), /does not match the shape of tensor dy/);
  });

  it(`${kind}: any call on a disposed module`, () => {
    const s = make(makeBackend());
    s.m.dispose();
    expect(s.m.disposed).toBe(true);
    expect(() => s.m.forward(ramp(s.size), s.shape)).toThrow(new RegExp(`${kind}\\.forward: the ${kind} module was disposed`));
    expect(() => s.m.backward(ramp(s.size))).toThrow(new RegExp(`${kind}\\.backward: the ${kind} module was disposed`));
    expect(() => s.m.stateDict()).toThrow(/disposed/);
    expect(() => s.m.loadStateDict({})).toThrow(/disposed/);
    expect(() => s.m.eval()).toThrow(/disposed/);
    expect(() => s.m.dispose()).not.toThrow();
  });
}

export function layerGroupInstanceBadInputSuite(makeBackend: () => Backend): void {
  describe("bad input (layer, group and instance norm)", () => {
    const ln = (backend: Backend) => trained(new LayerNorm([3, 4], { backend }), [2, 5, 3, 4]);
    const gn = (backend: Backend) => trained(new GroupNorm(2, 4, { backend }), [2, 4, 3, 3]);
    const inorm = (backend: Backend) => trained(new InstanceNorm2d(3, { backend, affine: true, trackRunningStats: true }), [2, 3, 4, 4]);
    coreRefusals("LayerNorm", ln, makeBackend);
    coreRefusals("GroupNorm", gn, makeBackend);
    coreRefusals("InstanceNorm2d", inorm, makeBackend);

    it("backward with no forward before it", () => {
      const backend = makeBackend();
      for (const m of [new LayerNorm(4, { backend }), new GroupNorm(1, 2, { backend }), new InstanceNorm1d(2, { backend })]) {
        expect(() => m.backward(ramp(8))).toThrow(/\.backward: there is no forward to differentiate: call forward first/);
      }
    });

    it("LayerNorm: a bad or non-matching normalized shape", () => {
      const backend = makeBackend();
      for (const bad of [0, -1, [], [2, 0], "3", [1.5], null]) {
        expect(() => new LayerNorm(bad as never, { backend })).toThrow(/LayerNorm: normalizedShape/);
      }
      const s = ln(backend);
      expectRefused(s, () => s.m.forward(ramp(120), [2, 5, 4, 3]), /LayerNorm\.forward: expected x of shape \[\*, 3, 4\] \(ending with normalizedShape\), got x of shape \[2, 5, 4, 3\]/);
      expectRefused(s, () => s.m.forward(ramp(4), [4]), /expected x of shape \[\*, 3, 4\].*got x of shape \[4\]/);
      expect(new LayerNorm(5, { backend }).normalizedShape).toEqual([5]);
    });

    it("LayerNorm: options", () => {
      const backend = makeBackend();
      for (const bad of [-1e-5, NaN, Infinity, "1e-5"]) {
        expect(() => new LayerNorm(4, { backend, eps: bad as number })).toThrow(/LayerNorm: eps must be a finite number >= 0/);
      }
      expect(() => new LayerNorm(4, { backend, bias: "no" as never })).toThrow(/LayerNorm: bias must be true or false/);
      expect(() => new LayerNorm(4, { backend, affine: false } as never)).toThrow(/LayerNorm: unknown option "affine"/);
      expect(() => new LayerNorm(4, { backend: {} as never })).toThrow(/LayerNorm: backend must come from createBackend/);
    });

    it("GroupNorm: indivisible groups, bad counts, channel mismatch, rank, a single value", () => {
      const backend = makeBackend();
      expect(() => new GroupNorm(3, 4, { backend })).toThrow(/GroupNorm: numChannels \(4\) must be divisible by numGroups \(3\)/);
      for (const bad of [0, -2, 1.5, "2"]) {
        expect(() => new GroupNorm(bad as number, 4, { backend })).toThrow(/GroupNorm: numGroups must be a positive integer/);
        expect(() => new GroupNorm(2, bad as number, { backend })).toThrow(/GroupNorm: numChannels must be a positive integer/);
      }
      const s = gn(backend);
      expectRefused(s, () => s.m.forward(ramp(54), [2, 3, 3, 3]), /GroupNorm\.forward: expected 4 channels \(C in \(N, C, \*\)\), got 3 in shape \[2, 3, 3, 3\]/);
      expectRefused(s, () => s.m.forward(ramp(4), [4]), /GroupNorm\.forward: expected input of shape \(N, C, \*\) with at least 2 dimensions, got x of shape \[4\]/);
      const single = new GroupNorm(4, 4, { backend });
      expect(() => single.forward(ramp(4), [1, 4])).toThrow(/GroupNorm\.forward: expected more than one value to normalize, got x of shape \[1, 4\] with 4 groups/);
      // PyTorch's rule counts N * C / G * spatial: [1, 4] in 2 groups is allowed, and so is [3, 4] in 4 groups.
      expect(new GroupNorm(2, 4, { backend }).forward(ramp(4), [1, 4]).length).toBe(4);
      expect(Array.from(single.forward(ramp(12), [3, 4]))).toEqual(new Array(12).fill(0));
      expect(() => groupNorm(ramp(24), [2, 4, 3], 3, { backend })).toThrow(/groupNorm: numChannels \(4\) must be divisible by numGroups \(3\)/);
    });

    it("InstanceNorm: rank, channels, one spatial element, momentum", () => {
      const backend = makeBackend();
      const s = inorm(backend);
      expectRefused(s, () => s.m.forward(ramp(96), [2, 48]), /InstanceNorm2d\.forward: expected 3-D input \(C, H, W\) or 4-D input \(N, C, H, W\), got x of shape \[2, 48\]/);
      expectRefused(s, () => s.m.forward(ramp(128), [2, 4, 4, 4]), /InstanceNorm2d\.forward: expected 3 channels \(C in \(N, C, \*\)\), got 4 in shape \[2, 4, 4, 4\]/);
      expectRefused(s, () => s.m.forward(ramp(6), [2, 3, 1, 1]), /InstanceNorm2d\.forward: expected more than 1 spatial element when training, got x of shape \[2, 3, 1, 1\]/);
      expect(() => new InstanceNorm1d(3, { backend }).forward(ramp(9), [3, 3, 1, 1] as never)).toThrow(/InstanceNorm1d\.forward: expected 2-D input \(C, L\) or 3-D input \(N, C, L\)/);
      expect(() => new InstanceNorm3d(3, { backend }).forward(ramp(9), [3, 3])).toThrow(/InstanceNorm3d\.forward: expected 4-D input \(C, D, H, W\) or 5-D input \(N, C, D, H, W\)/);
      // With running statistics, eval needs no spatial extent; without them it still does.
      s.m.eval();
      expect(s.m.forward(ramp(6), [2, 3, 1, 1]).length).toBe(6);
      const untracked = new InstanceNorm2d(3, { backend }).eval();
      expect(() => untracked.forward(ramp(6), [2, 3, 1, 1])).toThrow(/more than 1 spatial element/);
      expect(() => new InstanceNorm2d(3, { backend, momentum: null as never })).toThrow(/InstanceNorm2d: momentum must be a number in \[0, 1\], got null/);
      expect(() => new InstanceNorm2d(3, { backend, momentum: 1.5 })).toThrow(/InstanceNorm2d: momentum must be a number in \[0, 1\]/);
      expect(() => new InstanceNorm2d(0, { backend })).toThrow(/InstanceNorm2d: numFeatures must be a positive integer/);
    });

    it("layout: bad values refused before anything is allocated; channels-last shapes checked as such", () => {
      const backend = makeBackend();
      const live = backend.memoryStats().liveBytes;
      for (const bad of ["nhwc", "NCW", 1, false]) {
        const got = typeof bad === "string" ? `"${bad}"` : String(bad);
        const message = (where: string) => new RegExp(`^${where}: layout must be "NCHW" or "NHWC", got ${got}$`);
        expect(() => new GroupNorm(2, 4, { backend, layout: bad as never })).toThrow(message("GroupNorm"));
        expect(() => new InstanceNorm2d(3, { backend, layout: bad as never })).toThrow(message("InstanceNorm2d"));
        expect(() => groupNorm(ramp(24), [2, 3, 4], 2, { backend, layout: bad as never })).toThrow(message("groupNorm"));
        expect(() => groupNormBackward(ramp(24), ramp(24), [2, 3, 4], 2, { backend, layout: bad as never })).toThrow(message("groupNormBackward"));
        expect(() => instanceNorm(ramp(24), [2, 3, 4], { backend, layout: bad as never })).toThrow(message("instanceNorm"));
        expect(() => instanceNormBackward(ramp(24), ramp(24), [2, 3, 4], { backend, layout: bad as never })).toThrow(message("instanceNormBackward"));
      }
      expect(backend.memoryStats().liveBytes).toBe(live);
      expect(() => layerNorm(ramp(24), [2, 3, 4], 4, { backend, layout: "NHWC" } as never)).toThrow(/layerNorm: unknown option "layout"/);
      const g = trained(new GroupNorm(2, 4, { backend, layout: "NHWC" }), [2, 3, 3, 4]);
      expect((g.m as GroupNorm).layout).toBe("NHWC");
      expectRefused(g, () => g.m.forward(ramp(72), [2, 4, 3, 3]), /GroupNorm\.forward: expected 4 channels \(C in \(N, \*, C\)\), got 3 in shape \[2, 4, 3, 3\]/);
      expectRefused(g, () => g.m.forward(ramp(4), [4]), /GroupNorm\.forward: expected input of shape \(N, \*, C\) with at least 2 dimensions/);
      const i = trained(new InstanceNorm2d(3, { backend, layout: "NHWC", trackRunningStats: true }), [2, 4, 4, 3]);
      expectRefused(i, () => i.m.forward(ramp(96), [2, 3, 4, 4]), /InstanceNorm2d\.forward: expected 3 channels \(C in \(N, \*, C\)\), got 4 in shape \[2, 3, 4, 4\]/);
      expectRefused(i, () => i.m.forward(ramp(96), [2, 48]), /InstanceNorm2d\.forward: expected 3-D input \(H, W, C\) or 4-D input \(N, H, W, C\), got x of shape \[2, 48\]/);
      expectRefused(i, () => i.m.forward(ramp(6), [2, 1, 1, 3]), /expected more than 1 spatial element when training, got x of shape \[2, 1, 1, 3\]/);
      expect(() => instanceNorm(ramp(24), [2, 4, 3], { backend, layout: "NHWC", weight: new Float32Array(4) })).toThrow(/instanceNorm: weight must have length 3/);
    });

    it("loadStateDict with arrays of the wrong length or bad keys", () => {
      const backend = makeBackend();
      const l = ln(backend);
      const lsd = l.m.stateDict();
      expectRefused(l, () => l.m.loadStateDict({ ...lsd, weight: new Float32Array(4) }), /LayerNorm\.loadStateDict: stateDict\.weight must have length 12 \(one value per element of normalizedShape \[3, 4\]\), got length 4/);
      const { bias: _b, ...noBias } = lsd;
      expectRefused(l, () => l.m.loadStateDict(noBias), /missing \[bias\]/);
      const weightOnly = trained(new LayerNorm([3, 4], { backend, bias: false }), [2, 3, 4]);
      expectRefused(weightOnly, () => weightOnly.m.loadStateDict(lsd), /unexpected \[bias\]/);
      const i = inorm(backend);
      const isd = i.m.stateDict();
      expect(Object.keys(isd)).toEqual(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
      expectRefused(i, () => i.m.loadStateDict({ ...isd, running_var: new Float32Array(2) }), /InstanceNorm2d\.loadStateDict: stateDict\.running_var must have length 3 \(one value per channel\), got length 2/);
      expectRefused(i, () => i.m.loadStateDict({ ...isd, num_batches_tracked: -1 }), /num_batches_tracked must be a non-negative integer/);
      const g = gn(backend);
      expectRefused(g, () => g.m.loadStateDict({ ...g.m.stateDict(), extra: new Float32Array(4) } as never), /unexpected \[extra\]/);
    });

    it("functional API: lengths, saved statistics, running statistics", () => {
      const backend = makeBackend();
      const x = ramp(24);
      expect(() => layerNorm(x, [2, 3, 4], 4, { backend, weight: new Float32Array(3) })).toThrow(/layerNorm: weight must have length 4 \(one value per element of normalizedShape \[4\]\), got length 3/);
      expect(() => layerNorm(x, [2, 3, 4], [3], { backend })).toThrow(/layerNorm: expected x of shape \[\*, 3\]/);
      const r = layerNorm(x, [2, 3, 4], 4, { backend });
      expect(() => layerNormBackward(x, x, [2, 3, 4], 4, { backend, saveMean: r.saveMean })).toThrow(/layerNormBackward: saveInvstd must be a Float64Array of length 6 \(from the forward\), got undefined; pass both or neither/);
      expect(() => layerNormBackward(x, x, [2, 3, 4], 4, { backend, saveMean: r.saveMean.subarray(1), saveInvstd: r.saveInvstd })).toThrow(/saveMean must have length 6 \(one value per row\), got length 5/);
      expect(() => layerNormBackward(ramp(23), x, [2, 3, 4], 4, { backend })).toThrow(/layerNormBackward: dy has length 23, but shape \[2, 3, 4\] has 24 elements/);
      expect(() => groupNormBackward(x, x, [2, 4, 3], 2, { backend, weight: [1, 2] })).toThrow(/groupNormBackward: weight must have length 4 \(one value per channel\)/);
      expect(() => instanceNorm(x, [2, 3, 4], { backend, useInputStats: false })).toThrow(/instanceNorm: runningMean and runningVar are required when useInputStats is false/);
      const runningMean = new Float32Array(3);
      expect(() => instanceNorm(x, [2, 3, 4], { backend, runningMean, runningVar: new Float64Array(3) as never })).toThrow(/instanceNorm: runningVar must be a Float32Array of length 3/);
      expect(runningMean).toEqual(new Float32Array(3));
      expect(() => instanceNorm(ramp(6), [2, 3, 1], { backend })).toThrow(/instanceNorm: expected more than 1 spatial element when training/);
      expect(() => instanceNormBackward(x, x, [2, 3, 4], { backend, useInputStats: false })).toThrow(/instanceNormBackward: runningMean and runningVar are required/);
      expect(() => instanceNorm(x, [2, 3, 4], { backend, momentum: 0.1, trackRunningStats: true } as never)).toThrow(/instanceNorm: unknown option "trackRunningStats"/);
    });
  });
}
