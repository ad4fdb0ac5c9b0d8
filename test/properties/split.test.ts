// Property: the split primitives of data-parallel batch norm (batchNormStats on each shard,
// batchNormGatherStats, batchNormElemt, batchNormBackwardReduce summed over the shards,
// batchNormBackwardElemt) on the SIMD and the scalar build give, shard by shard, what the
// float64 reference gives for batchNorm / batchNormBackward over the whole batch: the batch
// cut along N into 1 to 4 uneven shards, both layouts, hostile values per channel.
import fc from "fast-check";
import { describe } from "vitest";
import {
  batchNorm, batchNormBackward, batchNormBackwardElemt, batchNormBackwardReduce, batchNormElemt, batchNormGatherStats,
  batchNormStats, type Layout,
} from "../../src/index.js";
import { backwardScales, expectNoLeak, forwardScales, inDomain, liveBytes, maxAbsPerUnit, runningScale } from "./common.js";
import { propertyTest, reference, reportAfterAll, runCount, wasmBuilds } from "./runner.js";
import { ncsFor, pathClass, sizeOf, type NCS } from "./shapes.js";
import { checker } from "./tolerance.js";
import {
  dataSeed, fillGrads, fillParams, fillUnits, gradKinds, paramKind, valueKinds, type GradKind, type ParamKind, type ValueKind,
} from "./values.js";

export const CASES = 2000;

interface SplitCase {
  readonly layout: Layout;
  readonly dims: NCS;
  /** Cut points along N (sorted, inside (0, N)): shard k is samples cuts[k-1] .. cuts[k]. */
  readonly cuts: readonly number[];
  readonly affine: ParamKind | null;
  readonly xKinds: readonly ValueKind[];
  readonly dyKinds: readonly GradKind[];
  readonly seed: number;
}

const splitCase: fc.Arbitrary<SplitCase> = fc
  .record({ rank: fc.integer({ min: 2, max: 5 }), path: pathClass })
  .chain(({ rank, path }) => ncsFor(rank - 2, path).map((dims) => ({ dims, rank })))
  .chain(({ dims }) =>
    fc.record({
      layout: fc.constantFrom("NCHW" as const, "NHWC" as const),
      dims: fc.constant(dims),
      cuts: fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, dims.N - 1) }), { maxLength: Math.min(3, dims.N - 1) })
        .map((c) => c.filter((v) => v < dims.N).sort((a, b) => a - b)),
      affine: fc.option(paramKind),
      xKinds: valueKinds,
      dyKinds: gradKinds,
      seed: dataSeed,
    }))
  .filter((c) => c.dims.N * sizeOf(c.dims.spatial) > 1);

const builds = wasmBuilds();

function checkCase(c: SplitCase): void {
  const { N, C, spatial } = c.dims;
  const S = sizeOf(spatial);
  const shape = c.layout === "NHWC" && spatial.length > 0 ? [N, ...spatial, C] : [N, C, ...spatial];
  const size = N * C * S, perSample = C * S;
  const channelOf = c.layout === "NHWC" || spatial.length === 0 ? (i: number) => i % C : (i: number) => Math.floor(i / S) % C;
  const x = fillUnits(size, C, channelOf, c.xKinds, c.seed);
  const dy = fillGrads(size, C, channelOf, c.dyKinds, c.seed + 5);
  const weight = c.affine ? fillParams(C, c.affine, c.seed + 1) : null;
  const bias = c.affine ? fillParams(C, "normal", c.seed + 2) : null;
  const weightOf = (p: number) => (weight ? weight[p] : 1);
  // The whole batch on the reference: the yardstick.
  const rm0 = fillParams(C, "normal", c.seed + 3), rv0 = fillParams(C, "normal", c.seed + 4).map((v) => Math.abs(v) + 0.25);
  const refRunning = { runningMean: rm0.slice(), runningVar: rv0.slice() };
  const r = batchNorm(x, shape, { training: true, weight, bias, ...refRunning, layout: c.layout, backend: reference });
  fc.pre(inDomain(r.saveInvstd));
  const want = batchNormBackward(dy, x, shape, {
    training: true, weight, saveMean: r.saveMean, saveInvstd: r.saveInvstd, layout: c.layout, backend: reference,
  });
  const fs = forwardScales(x, C, channelOf, channelOf, r.saveMean, r.saveInvstd, weightOf, (p) => (bias ? bias[p] : 0));
  const scales = backwardScales(x, dy, C, channelOf, C, channelOf, r.saveMean, r.saveInvstd, weightOf);
  const bounds = [0, ...c.cuts, N];
  const shards = bounds.slice(1).map((end, k) => {
    const from = bounds[k] * perSample, to = end * perSample;
    return { from, to, shape: [end - bounds[k], ...shape.slice(1)], x: x.subarray(from, to), dy: dy.subarray(from, to) };
  });
  const backends = builds.map((b) => b.backend);
  const live = liveBytes(backends);
  for (const build of builds) {
    const backend = build.backend, layout = c.layout;
    const check = checker(build.name, `${shards.length} shards`);
    const running = { runningMean: rm0.slice(), runningVar: rv0.slice() };
    const global = batchNormGatherStats(shards.map((s) => batchNormStats(s.x, s.shape, { layout, backend })), running);
    check.scalars("mean", global.mean, r.saveMean, maxAbsPerUnit(x, C, channelOf));
    check.scalars("invstd", global.invstd, r.saveInvstd);
    check.equal("count", global.count, N * S);
    check.scalars("running_mean", running.runningMean, refRunning.runningMean, runningScale(rm0, refRunning.runningMean, 0.1, maxAbsPerUnit(x, C, channelOf)));
    check.scalars("running_var", running.runningVar, refRunning.runningVar, runningScale(rv0, refRunning.runningVar, 0.1, new Float64Array(C)));
    const y = new Float32Array(size), dx = new Float32Array(size);
    const sumDy = new Float64Array(C), sumDyXmu = new Float64Array(C), dweight = new Float64Array(C), dbias = new Float64Array(C);
    for (const s of shards) {
      y.set(batchNormElemt(s.x, s.shape, { mean: global.mean, invstd: global.invstd, weight, bias, layout, backend }), s.from);
      const part = batchNormBackwardReduce(s.dy, s.x, s.shape, { mean: global.mean, invstd: global.invstd, layout, backend });
      for (let ch = 0; ch < C; ch++) {
        sumDy[ch] += part.sumDy[ch];
        sumDyXmu[ch] += part.sumDyXmu[ch];
        dweight[ch] += part.dweight[ch];
        dbias[ch] += part.dbias[ch];
      }
    }
    for (const s of shards) {
      dx.set(batchNormBackwardElemt(s.dy, s.x, s.shape, {
        mean: global.mean, invstd: global.invstd, weight, sumDy, sumDyXmu, count: global.count, layout, backend,
      }), s.from);
    }
    check.units("y", y, r.y, C, channelOf, fs.scale, fs.floor);
    check.units("dx", dx, want.dx, C, channelOf, scales.dx, scales.dxFloor);
    check.scalars("dweight", Float32Array.from(dweight), want.dweight, scales.dweight, scales.dweightFloor);
    check.scalars("dbias", Float32Array.from(dbias), want.dbias, scales.dbias);
  }
  expectNoLeak("after the case", backends, live);
}

describe(`split primitives over shards against batchNorm of the whole batch on the float64 reference (${runCount(CASES)} cases, SIMD and scalar)`, () => {
  propertyTest("split primitives (data-parallel batch norm)", splitCase, checkCase, CASES);
});
reportAfterAll("Split primitive properties");
