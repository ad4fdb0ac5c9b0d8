// Layer, group and instance norm on the zero-copy path and in memory: tensors give the same
// numbers as plain arrays, survive memory growth, are freed for reuse; NaN stays in its own
// run; state dicts round-trip under PyTorch's keys.
import { describe, it, expect } from "../helpers/test-api.js";
import {
  GroupNorm, InstanceNorm2d, LayerNorm, groupNorm, groupNormBackward, instanceNorm, layerNorm, layerNormBackward, tensor,
  type Backend,
} from "../../src/index.js";

const ramp = (n: number, k = 0.37) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 2 + 0.5 + (i % 5) * 0.3);

type Module = LayerNorm | GroupNorm | InstanceNorm2d;
const SHAPE = [4, 6, 5, 5];
const SIZE = 600;
const MAKERS: Array<[string, (backend: Backend) => Module]> = [
  ["LayerNorm", (backend) => new LayerNorm([5, 5], { backend })],
  ["GroupNorm", (backend) => new GroupNorm(3, 6, { backend })],
  ["InstanceNorm2d (tracked, affine)", (backend) => new InstanceNorm2d(6, { backend, affine: true, trackRunningStats: true })],
];

export function layerGroupInstanceTensorSuite(makeBackend: () => Backend): void {
  describe("tensors and memory (layer, group and instance norm)", () => {
    it.each(MAKERS)("%s: the zero-copy path gives the same numbers as the copy path, in both modes", (_name, make) => {
      const backend = makeBackend();
      const a = make(backend), b = make(backend);
      for (const m of [a, b]) if (m.weight) m.weight.set(ramp(m.weight.length, 1.1));
      for (const mode of [true, false]) {
        a.train(mode);
        b.train(mode);
        const x = ramp(SIZE), dy = ramp(SIZE, 0.91);
        const yArr = a.forward(x, SHAPE);
        const gArr = a.backward(dy);
        const xt = tensor(SHAPE, x, { backend });
        const yt = b.forward(xt);
        const dyt = tensor(SHAPE, dy, { backend });
        const gt = b.backward(dyt);
        expect(yt.data).toEqual(yArr);
        expect(gt.dx.data).toEqual(gArr.dx);
        expect(gt.dweight).toEqual(gArr.dweight);
        expect(gt.dbias).toEqual(gArr.dbias);
        expect(b.stateDict()).toEqual(a.stateDict());
        for (const t of [xt, yt, dyt, gt.dx]) t.dispose();
      }
    });

    it.each(MAKERS)("%s: backward is of the last forward, with the weight that forward used", (_name, make) => {
      const backend = makeBackend();
      const a = make(backend), b = make(backend);
      a.weight!.set(ramp(a.weight!.length, 1.7));
      b.weight!.set(ramp(b.weight!.length, 1.7));
      a.forward(ramp(SIZE), SHAPE);
      b.forward(ramp(SIZE), SHAPE);
      b.weight!.fill(3); // an optimizer step between forward and backward
      expect(b.backward(ramp(SIZE, 0.3))).toEqual(a.backward(ramp(SIZE, 0.3)));
    });

    it("functional ops take tensors and return tensors", () => {
      const backend = makeBackend();
      const x = tensor(SHAPE, ramp(SIZE), { backend });
      const dy = tensor(SHAPE, ramp(SIZE, 0.5), { backend });
      const r = layerNorm(x, null, [5, 5], { backend });
      expect(r.y.shape).toEqual(SHAPE);
      expect(r.y.data).toEqual(layerNorm(ramp(SIZE), SHAPE, [5, 5], { backend }).y);
      const g = layerNormBackward(dy, x, null, [5, 5], { backend, saveMean: r.saveMean, saveInvstd: r.saveInvstd });
      expect(g.dx.data).toEqual(layerNormBackward(ramp(SIZE, 0.5), ramp(SIZE), SHAPE, [5, 5], { backend }).dx);
      const q = groupNorm(x, undefined, 2, { backend });
      const h = groupNormBackward(dy, x, undefined, 2, { backend });
      expect(h.dx.shape).toEqual(SHAPE);
      const s = instanceNorm(x, null, { backend });
      expect(s.saveMean.length).toBe(24);
      for (const t of [x, dy, r.y, g.dx, q.y, h.dx, s.y]) t.dispose();
    });

    it.each(MAKERS)("%s: tensors and results stay correct after the memory grows", (_name, make) => {
      const backend = makeBackend();
      const m = make(backend);
      const x = tensor(SHAPE, ramp(SIZE), { backend });
      const y = m.forward(x);
      const expected = y.data.slice();
      const gradsBefore = make(backend);
      gradsBefore.forward(ramp(SIZE), SHAPE);
      const want = gradsBefore.backward(ramp(SIZE, 0.5));
      const before = backend.memoryStats().memoryBytes;
      const big = tensor([8 * 1024 * 1024], undefined, { backend }); // 32 MiB forces growth
      expect(backend.memoryStats().memoryBytes).toBeGreaterThan(before);
      expect(y.data).toEqual(expected);
      const g = m.backward(ramp(SIZE, 0.5)); // reads x and the saved statistics from the grown memory
      expect(g.dx).toEqual(want.dx);
      for (const t of [x, y, big]) t.dispose();
      m.dispose();
    });

    it("freed memory is reused: a repeated workload does not grow the live set", () => {
      const backend = makeBackend();
      const start = backend.memoryStats().liveBytes;
      const run = () => {
        for (const [, make] of MAKERS) {
          const m = make(backend);
          const x = tensor(SHAPE, ramp(SIZE), { backend });
          const y = m.forward(x);
          const g = m.backward(y);
          m.forward(ramp(SIZE), SHAPE);
          m.eval().forward(ramp(SIZE), SHAPE);
          for (const t of [x, y, g.dx]) t.dispose();
          m.dispose();
        }
        const x = tensor(SHAPE, ramp(SIZE), { backend });
        layerNorm(x, null, 5, { backend }).y.dispose();
        groupNormBackward(x, x, null, 3, { backend }).dx.dispose();
        instanceNorm(x, null, { backend }).y.dispose();
        x.dispose();
      };
      run();
      const afterOne = backend.memoryStats();
      for (let i = 0; i < 30; i++) run();
      const afterMany = backend.memoryStats();
      expect(afterMany.liveBytes).toBe(start);
      expect(afterMany.highWaterBytes).toBe(afterOne.highWaterBytes);
    });

    it("NaN and Infinity stay in their own row or group", () => {
      const backend = makeBackend();
      const x = ramp(SIZE);
      x[3] = NaN; // sample 0: LayerNorm row 0 (channel 0), GroupNorm group 0, instance (0, 0)
      x[2 * 150 + 60] = Infinity; // sample 2, channel 2
      const finiteOutside = (y: Float32Array, bad: (i: number) => boolean) => {
        for (let i = 0; i < SIZE; i++) expect(Number.isFinite(y[i]), `element ${i}`).toBe(!bad(i));
      };
      // LayerNorm over [5, 5]: rows are (sample, channel) planes of 25.
      const row = (i: number) => Math.floor(i / 25);
      finiteOutside(new LayerNorm([5, 5], { backend }).forward(x, SHAPE), (i) => row(i) === 0 || row(i) === 14);
      // GroupNorm with 3 groups: runs of 2 channels = 50 values.
      const group = (i: number) => Math.floor(i / 50);
      finiteOutside(new GroupNorm(3, 6, { backend }).forward(x, SHAPE), (i) => group(i) === 0 || group(i) === 7);
      const inorm = new InstanceNorm2d(6, { backend, trackRunningStats: true });
      finiteOutside(inorm.forward(x, SHAPE), (i) => row(i) === 0 || row(i) === 14);
      // The running statistics average over samples: channels 0 and 2 are poisoned, the others not.
      expect(Array.from(inorm.runningMean!, Number.isFinite)).toEqual([false, true, false, true, true, true]);
    });

    it("stateDict / loadStateDict round-trip with PyTorch's keys", () => {
      const backend = makeBackend();
      expect(Object.keys(new LayerNorm(4, { backend }).stateDict())).toEqual(["weight", "bias"]);
      expect(Object.keys(new LayerNorm(4, { backend, bias: false }).stateDict())).toEqual(["weight"]);
      expect(Object.keys(new LayerNorm(4, { backend, elementwiseAffine: false }).stateDict())).toEqual([]);
      expect(Object.keys(new GroupNorm(2, 4, { backend }).stateDict())).toEqual(["weight", "bias"]);
      expect(Object.keys(new GroupNorm(2, 4, { backend, affine: false }).stateDict())).toEqual([]);
      expect(Object.keys(new InstanceNorm2d(4, { backend }).stateDict())).toEqual([]);
      const a = new InstanceNorm2d(6, { backend, affine: true, trackRunningStats: true });
      a.weight!.set(ramp(6, 0.9));
      a.forward(ramp(SIZE), SHAPE);
      a.forward(ramp(SIZE, 0.2), SHAPE);
      const sd = a.stateDict();
      expect(sd.num_batches_tracked).toBe(0); // PyTorch's instance norm never counts batches
      const b = new InstanceNorm2d(6, { backend, affine: true, trackRunningStats: true });
      b.loadStateDict({ ...sd, num_batches_tracked: 7 });
      expect(b.numBatchesTracked).toBe(7);
      b.loadStateDict(sd);
      expect(b.stateDict()).toEqual(sd);
      a.eval();
      b.eval();
      expect(b.forward(ramp(SIZE, 0.7), SHAPE)).toEqual(a.forward(ramp(SIZE, 0.7), SHAPE));
      sd.running_mean![0] = 123; // the returned state is a copy
      expect(a.runningMean![0]).not.toBe(123);
    });
  });
}
