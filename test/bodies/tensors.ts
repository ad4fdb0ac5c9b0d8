// The zero-copy path and memory: tensors in the kernels' memory give the same numbers as
// plain arrays, stay readable across memory growth, and are freed for reuse.
import { describe, it, expect } from "../helpers/test-api.js";
import { BatchNorm2d, tensor, batchNorm, type Backend } from "../../src/index.js";

const ramp = (n: number, k = 0.37) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 2 + 0.5);
const SHAPE = [4, 8, 5, 5];
const SIZE = 800;

export function tensorSuite(makeBackend: () => Backend): void {
  describe("tensors and memory", () => {
    it("tensor() copies data in, zero-fills otherwise, and validates", () => {
      const backend = makeBackend();
      const t = tensor([2, 3], [1, 2, 3, 4, 5, 6], { backend });
      expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(t.shape).toEqual([2, 3]);
      expect(t.size).toBe(6);
      const z = tensor([4], undefined, { backend });
      expect(Array.from(z.data)).toEqual([0, 0, 0, 0]);
      expect(() => tensor([2, 3], [1, 2], { backend })).toThrow(/tensor: data has length 2, but shape \[2, 3\] has 6 elements/);
      expect(() => tensor([2, -3], undefined, { backend })).toThrow(/tensor: shape\[1\] must be a positive integer/);
      t.dispose();
      expect(t.disposed).toBe(true);
      expect(() => t.data).toThrow(/Tensor\.data: the tensor of shape \[2, 3\] was disposed/);
      t.dispose();
    });

    it("the zero-copy path gives the same numbers as the copy path, in both modes", () => {
      const backend = makeBackend();
      const a = new BatchNorm2d(8, { backend });
      const b = new BatchNorm2d(8, { backend });
      for (const mode of [true, false]) {
        a.train(mode);
        b.train(mode);
        const x = ramp(SIZE);
        const dy = ramp(SIZE, 0.91);
        const yArr = a.forward(x, SHAPE);
        const gArr = a.backward(dy);
        const xt = tensor(SHAPE, x, { backend });
        const yt = b.forward(xt);
        const dyt = tensor(SHAPE, dy, { backend });
        const gt = b.backward(dyt);
        expect(yt.data).toEqual(yArr);
        expect(gt.dx.data).toEqual(gArr.dx);
        expect(gt.dweight).toEqual(gArr.dweight);
        expect(b.stateDict()).toEqual(a.stateDict());
        for (const t of [xt, yt, dyt, gt.dx]) t.dispose();
      }
    });

    it("tensors and results stay correct after the memory grows", () => {
      const backend = makeBackend();
      const m = new BatchNorm2d(8, { backend });
      const x = tensor(SHAPE, ramp(SIZE), { backend });
      const y = m.forward(x);
      const expected = y.data.slice();
      const before = backend.memoryStats().memoryBytes;
      const big = tensor([8 * 1024 * 1024], undefined, { backend }); // 32 MiB forces growth
      expect(backend.memoryStats().memoryBytes).toBeGreaterThan(before);
      expect(y.data).toEqual(expected);
      expect(x.data).toEqual(ramp(SIZE));
      // The backward reads x from the grown memory.
      const g = m.backward(ramp(SIZE, 0.5));
      expect(g.dx.every(Number.isFinite)).toBe(true);
      for (const t of [x, y, big]) t.dispose();
      m.dispose();
    });

    it("freed memory is reused: a repeated workload does not grow the live set", () => {
      const backend = makeBackend();
      const start = backend.memoryStats().liveBytes;
      const run = () => {
        const m = new BatchNorm2d(8, { backend });
        const x = tensor(SHAPE, ramp(SIZE), { backend });
        const y = m.forward(x);
        const g = m.backward(y);
        m.forward(ramp(SIZE), SHAPE);
        batchNorm(x, null, { backend, training: true }).y.dispose();
        for (const t of [x, y, g.dx]) t.dispose();
        m.dispose();
      };
      run();
      const afterOne = backend.memoryStats();
      for (let i = 0; i < 50; i++) run();
      const afterMany = backend.memoryStats();
      expect(afterMany.liveBytes).toBe(start);
      expect(afterMany.highWaterBytes).toBe(afterOne.highWaterBytes);
    });

    it("NaN and Infinity stay in their own channel", () => {
      const backend = makeBackend();
      for (const layout of ["NCHW", "NHWC"] as const) {
        const m = new BatchNorm2d(4, { backend, layout });
        const shape = layout === "NCHW" ? [2, 4, 3, 3] : [2, 3, 3, 4];
        const x = ramp(72);
        const at = (n: number, c: number, s: number) => (layout === "NCHW" ? (n * 4 + c) * 9 + s : (n * 9 + s) * 4 + c);
        x[at(1, 2, 4)] = NaN;
        x[at(0, 1, 0)] = Infinity;
        const y = m.forward(x, shape);
        for (let n = 0; n < 2; n++) for (let s = 0; s < 9; s++) {
          expect(Number.isFinite(y[at(n, 0, s)])).toBe(true);
          expect(Number.isFinite(y[at(n, 3, s)])).toBe(true);
          expect(Number.isNaN(y[at(n, 2, s)])).toBe(true);
        }
        expect(Number.isFinite(m.runningMean![0]) && Number.isFinite(m.runningMean![3])).toBe(true);
        expect(Number.isFinite(m.runningVar![0]) && Number.isFinite(m.runningVar![3])).toBe(true);
        expect(Number.isNaN(m.runningMean![2])).toBe(true);
        m.dispose();
      }
    });

    it("stateDict / loadStateDict round-trip with PyTorch's keys", () => {
      const backend = makeBackend();
      const a = new BatchNorm2d(8, { backend, momentum: null });
      a.forward(ramp(SIZE), SHAPE);
      a.forward(ramp(SIZE, 0.2), SHAPE);
      const sd = a.stateDict();
      expect(Object.keys(sd).sort()).toEqual(["bias", "num_batches_tracked", "running_mean", "running_var", "weight"]);
      expect(sd.num_batches_tracked).toBe(2);
      const b = new BatchNorm2d(8, { backend, momentum: null });
      b.loadStateDict(sd);
      expect(b.stateDict()).toEqual(sd);
      b.eval();
      a.eval();
      expect(b.forward(ramp(SIZE, 0.7), SHAPE)).toEqual(a.forward(ramp(SIZE, 0.7), SHAPE));
      expect(Object.keys(new BatchNorm2d(8, { backend, affine: false, trackRunningStats: false }).stateDict())).toEqual([]);
      // The returned state is a copy.
      sd.running_mean![0] = 123;
      expect(a.runningMean![0]).not.toBe(123);
    });
  });
}
