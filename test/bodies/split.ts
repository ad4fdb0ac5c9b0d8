// The split primitives of data-parallel batch norm: run shard by shard (uneven shards),
// merged, and compared with the one-call training forward / backward on the whole batch.
import { describe, it, expect } from "../helpers/test-api.js";
import {
  batchNorm, batchNormBackward, batchNormBackwardElemt, batchNormBackwardReduce, batchNormElemt, batchNormGatherStats,
  batchNormStats, referenceChannelStats, tensor, type Backend, type Layout, type Tensor,
} from "../../src/index.js";
import { expectClose } from "../helpers/compare.js";
import { gaussian, seededRandom } from "../helpers/random.js";
import { concat } from "../helpers/concat.js";

const TOL = 1e-5;

function randomArray(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n }, () => gaussian(rand) * scale + offset);
}

/** Splits a batch along N (its outermost axis) into shards of the given sample counts. */
export function shardsOf(x: Float32Array, shape: readonly number[], sizes: readonly number[]) {
  const per = x.length / shape[0];
  let at = 0;
  return sizes.map((n) => {
    const part = { x: x.slice(at * per, (at + n) * per), shape: [n, ...shape.slice(1)] };
    at += n;
    return part;
  });
}

interface Case {
  name: string;
  shape: number[];
  layout: Layout;
  sizes: number[];
}

const CASES: Case[] = [
  { name: "NCHW, shards of 3, 1 and 3 samples", shape: [7, 3, 5, 4], layout: "NCHW", sizes: [3, 1, 3] },
  { name: "NHWC, shards of 2 and 5 samples", shape: [7, 4, 3, 5], layout: "NHWC", sizes: [2, 5] },
  { name: "2-D (N, C), shards of 40, 13 and 11 rows", shape: [64, 6], layout: "NCHW", sizes: [40, 13, 11] },
  { name: "NCHW with long planes (multi-chunk), shards of 1 and 2", shape: [3, 2, 48, 50], layout: "NCHW", sizes: [1, 2] },
];

function channelsOf(c: Case) {
  return c.layout === "NHWC" && c.shape.length > 2 ? c.shape[c.shape.length - 1] : c.shape[1];
}

export function splitSuite(makeBackend: () => Backend): void {
  describe("split primitives (data-parallel batch norm)", () => {
    describe.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
      it("shard by shard equals the whole-batch training forward and backward", () => {
        const backend = makeBackend();
        const C = channelsOf(c);
        const size = c.shape.reduce((a, b) => a * b, 1);
        const x = randomArray(size, 11, 2, 0.5), dy = randomArray(size, 12);
        const weight = randomArray(C, 13, 0.5, 1), bias = randomArray(C, 14);
        const opts = { layout: c.layout, backend };

        const runMeanWhole = randomArray(C, 15), runVarWhole = randomArray(C, 16, 0.1, 1);
        const whole = batchNorm(x, c.shape, {
          ...opts, training: true, weight, bias, runningMean: runMeanWhole, runningVar: runVarWhole,
        });
        const wholeGrads = batchNormBackward(dy, x, c.shape, {
          ...opts, training: true, weight, saveMean: whole.saveMean, saveInvstd: whole.saveInvstd,
        });

        const xs = shardsOf(x, c.shape, c.sizes), dys = shardsOf(dy, c.shape, c.sizes);
        const stats = xs.map((s) => batchNormStats(s.x, s.shape, opts));
        stats.forEach((s, i) => expect(s.count).toBe(xs[i].x.length / C));
        const runningMean = randomArray(C, 15), runningVar = randomArray(C, 16, 0.1, 1);
        const global = batchNormGatherStats(stats, { runningMean, runningVar });
        expect(global.count).toBe(size / C);
        expectClose(global.mean, whole.saveMean, TOL, "merged mean");
        expectClose(global.invstd, whole.saveInvstd, TOL, "merged invstd");
        expectClose(runningMean, runMeanWhole, TOL, "running mean");
        expectClose(runningVar, runVarWhole, TOL, "running var");

        const y = concat(xs.map((s) => batchNormElemt(s.x, s.shape, { ...opts, mean: global.mean, invstd: global.invstd, weight, bias })));
        expectClose(y, whole.y, TOL, "y");

        const reduced = xs.map((s, i) => batchNormBackwardReduce(dys[i].x, s.x, s.shape, { ...opts, mean: global.mean, invstd: global.invstd }));
        const sumDy = new Float64Array(C), sumDyXmu = new Float64Array(C), dweight = new Float64Array(C), dbias = new Float64Array(C);
        for (const r of reduced) {
          for (let k = 0; k < C; k++) {
            sumDy[k] += r.sumDy[k];
            sumDyXmu[k] += r.sumDyXmu[k];
            dweight[k] += r.dweight[k];
            dbias[k] += r.dbias[k];
          }
        }
        expectClose(dweight, wholeGrads.dweight!, TOL, "dweight (sum of shards)");
        expectClose(dbias, wholeGrads.dbias!, TOL, "dbias (sum of shards)");
        const dx = concat(xs.map((s, i) => batchNormBackwardElemt(dys[i].x, s.x, s.shape, {
          ...opts, mean: global.mean, invstd: global.invstd, weight, sumDy, sumDyXmu, count: global.count,
        })));
        expectClose(dx, wholeGrads.dx, TOL, "dx");
      });
    });

    it("tensors in, tensors out, the same numbers as Float32Arrays", () => {
      const backend = makeBackend();
      const shape = [4, 3, 6, 5], C = 3, size = 360;
      const x = randomArray(size, 21), dy = randomArray(size, 22), weight = randomArray(C, 23), bias = randomArray(C, 24);
      const xt = tensor(shape, x, { backend }), dyt = tensor(shape, dy, { backend });
      const s = batchNormStats(xt, null, { backend });
      const sa = batchNormStats(x, shape, { backend });
      expect(Array.from(s.mean)).toEqual(Array.from(sa.mean));
      expect(Array.from(s.var)).toEqual(Array.from(sa.var));
      const g = batchNormGatherStats([s]);
      const yt: Tensor = batchNormElemt(xt, null, { backend, mean: g.mean, invstd: g.invstd, weight, bias });
      expect(yt.shape).toEqual(shape);
      expect(Array.from(yt.data)).toEqual(Array.from(batchNormElemt(x, shape, { backend, mean: g.mean, invstd: g.invstd, weight, bias })));
      const r = batchNormBackwardReduce(dyt, xt, null, { backend, mean: g.mean, invstd: g.invstd });
      const ra = batchNormBackwardReduce(dy, x, shape, { backend, mean: g.mean, invstd: g.invstd });
      expect(Array.from(r.sumDyXmu)).toEqual(Array.from(ra.sumDyXmu));
      const elemt = { backend, mean: g.mean, invstd: g.invstd, weight, sumDy: r.sumDy, sumDyXmu: r.sumDyXmu, count: g.count };
      const dxt: Tensor = batchNormBackwardElemt(dyt, xt, null, elemt);
      expect(Array.from(dxt.data)).toEqual(Array.from(batchNormBackwardElemt(dy, x, shape, elemt)));
      for (const t of [xt, dyt, yt, dxt]) t.dispose();
      expect(backend.memoryStats().liveBytes).toBe(0);
    });

    it("merging is stable: shards with mean 1e4 and std 1e-2", () => {
      const backend = makeBackend();
      const shape = [6, 2, 10, 10];
      const x = randomArray(1200, 31, 1e-2, 1e4);
      const shards = shardsOf(x, shape, [1, 4, 1]).map((s) => batchNormStats(s.x, s.shape, { backend }));
      const merged = batchNormGatherStats(shards);
      const mean = new Float64Array(2), variance = new Float64Array(2);
      referenceChannelStats(x, { N: 6, C: 2, S: 100, channelsLast: false }, mean, variance);
      expectClose(merged.mean, mean, 1e-12, "mean");
      expectClose(merged.var, variance, 1e-4, "var");
    });

    it("bad input: a clear Error naming the call and the argument", () => {
      const backend = makeBackend();
      const x = randomArray(24, 41), shape = [2, 3, 4];
      const s = batchNormStats(x, shape, { backend });
      expect(() => batchNormGatherStats([])).toThrow(/batchNormGatherStats: shards must be a non-empty array/);
      expect(() => batchNormGatherStats([s, { ...s, mean: new Float64Array(4) }])).toThrow(/shards\[1\]\.mean must have length 3/);
      expect(() => batchNormGatherStats([{ ...s, count: 0 }])).toThrow(/shards\[0\]\.count must be a positive integer/);
      expect(() => batchNormGatherStats([s], { momentum: 2 })).toThrow(/momentum must be a number in \[0, 1\]/);
      expect(() => batchNormGatherStats([s], { runningMean: new Float32Array(3) })).toThrow(/runningVar must be a Float32Array of length 3/);
      const runningMean = new Float32Array(3), runningVar = new Float32Array(3).fill(1);
      expect(() => batchNormGatherStats([{ ...s, count: 1 }], { runningMean, runningVar })).toThrow(/more than 1 value per channel/);
      expect(Array.from(runningVar)).toEqual([1, 1, 1]);
      expect(() => batchNormStats(x, [2, 3, 5], { backend })).toThrow(/batchNormStats: x has length 24, but shape \[2, 3, 5\] has 30 elements/);
      expect(() => batchNormStats(x, shape, { backend, eps: 1 } as never)).toThrow(/unknown option "eps"/);
      expect(() => batchNormElemt(x, shape, { backend, invstd: s.var } as never)).toThrow(/batchNormElemt: mean is required/);
      expect(() => batchNormElemt(x, shape, { backend, mean: s.mean, invstd: new Float64Array(2) })).toThrow(/invstd must have length 3/);
      const g = batchNormGatherStats([s]);
      expect(() => batchNormBackwardReduce(x.slice(0, 12), x, shape, { backend, mean: g.mean, invstd: g.invstd }))
        .toThrow(/batchNormBackwardReduce: dy has length 12, but shape \[2, 3, 4\] has 24 elements/);
      const sums = { sumDy: new Float64Array(3), sumDyXmu: new Float64Array(3) };
      expect(() => batchNormBackwardElemt(x, x, shape, { backend, mean: g.mean, invstd: g.invstd, ...sums, count: 4 }))
        .toThrow(/batchNormBackwardElemt: count must be an integer of at least this shard's 8 values per channel/);
      expect(() => batchNormBackwardElemt(x, x, shape, { backend, mean: g.mean, invstd: g.invstd, sumDy: sums.sumDy, count: 8 } as never))
        .toThrow(/sumDyXmu is required/);
      expect(backend.memoryStats().liveBytes).toBe(0);
    });
  });
}
