// Property: InstanceNorm1d / 2d / 3d (modules, batched and unbatched input, affine, tracked
// running statistics, train / eval steps) and instanceNorm / instanceNormBackward (input or
// running statistics, running statistics updated in place) on the SIMD and the scalar build
// agree with the float64 reference backend, both layouts; hostile values per (sample, channel) plane.
import fc from "fast-check";
import { describe } from "vitest";
import {
  InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, instanceNorm, instanceNormBackward, tensor, type Backend, type InstanceNormBase, type Layout,
} from "../../src/index.js";
import {
  attempt, backwardScales, expectNoLeak, expectSameRefusal, forwardScales, inDomain, liveBytes, maxAbsPerUnit, runningScale, take,
} from "./common.js";
import { checkModuleStep } from "./module-step.js";
import { propertyTest, reference, reportAfterAll, runCount, wasmBuilds } from "./runner.js";
import { ncsFor, pathClass, sizeOf, type NCS } from "./shapes.js";
import { checker } from "./tolerance.js";
import {
  dataSeed, fillGrads, fillParams, fillUnits, gradKinds, paramKind, valueKinds, type GradKind, type ParamKind, type ValueKind,
} from "./values.js";

export const CASES = 2000;

interface InCase {
  readonly spatialRank: 1 | 2 | 3;
  readonly batched: boolean;
  readonly dims: NCS;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly layout: Layout;
  readonly momentum: number | undefined;
  readonly eps: number | undefined;
  /** Module: train / eval per step. Functional: useInputStats of the first step. */
  readonly steps: readonly { readonly training: boolean; readonly tensors: boolean }[];
  /** Functional backward: with this build's saved statistics (true) or recomputing them. */
  readonly saved: boolean;
  readonly xKinds: readonly ValueKind[];
  readonly dyKinds: readonly GradKind[];
  readonly weightKind: ParamKind;
  readonly biasKind: ParamKind;
  readonly seed: number;
}

const inCase: fc.Arbitrary<InCase> = fc
  .record({ spatialRank: fc.constantFrom(1 as const, 2 as const, 3 as const), path: pathClass })
  .chain(({ spatialRank, path }) =>
    fc.record({
      spatialRank: fc.constant(spatialRank),
      batched: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
      dims: ncsFor(spatialRank, path),
      affine: fc.boolean(),
      trackRunningStats: fc.boolean(),
      layout: fc.constantFrom("NCHW" as const, "NHWC" as const),
      momentum: fc.oneof(fc.constant(undefined), fc.constantFrom(0, 1, 0.1), fc.double({ min: 0, max: 1, noNaN: true })),
      eps: fc.constantFrom(undefined, 1e-5, 1e-3, 0),
      steps: fc.array(fc.record({ training: fc.boolean(), tensors: fc.boolean() }), { minLength: 1, maxLength: 3 }),
      saved: fc.boolean(),
      xKinds: valueKinds,
      dyKinds: gradKinds,
      weightKind: paramKind,
      biasKind: paramKind,
      seed: dataSeed,
    }))
  .filter((c) => (c.batched ? c.dims.N : 1) * c.dims.C * sizeOf(c.dims.spatial) <= 20000);

const builds = wasmBuilds();

function geometry(c: InCase) {
  const N = c.batched ? c.dims.N : 1, C = c.dims.C, S = sizeOf(c.dims.spatial);
  const last = c.layout === "NHWC";
  const sample = last ? [...c.dims.spatial, C] : [C, ...c.dims.spatial];
  const shape = c.batched ? [N, ...sample] : sample;
  const full = [N, ...sample];
  const channelOf = last ? (i: number) => i % C : (i: number) => Math.floor(i / S) % C;
  return {
    shape, full, N, C, S, units: N * C, size: N * C * S,
    unitOf: (i: number) => Math.floor(i / (S * C)) * C + channelOf(i), channelOf,
  };
}

function makeModule(c: InCase, backend: Backend): InstanceNormBase {
  const Module = { 1: InstanceNorm1d, 2: InstanceNorm2d, 3: InstanceNorm3d }[c.spatialRank];
  const m = new Module(c.dims.C, {
    backend, affine: c.affine, trackRunningStats: c.trackRunningStats, layout: c.layout,
    ...(c.momentum !== undefined ? { momentum: c.momentum } : {}), ...(c.eps !== undefined ? { eps: c.eps } : {}),
  });
  const C = c.dims.C;
  if (m.weight) m.weight.set(fillParams(C, c.weightKind, c.seed + 1));
  if (m.bias) m.bias.set(fillParams(C, c.biasKind, c.seed + 2));
  if (m.runningMean) {
    m.runningMean.set(fillParams(C, "normal", c.seed + 3));
    m.runningVar!.set(fillParams(C, "normal", c.seed + 4).map((v) => Math.abs(v) + 0.25));
  }
  return m;
}

/** Per-plane mean / invstd a forward normalizes with: the planes' own, or the channel's running statistics. */
function planeStats(
  x: Float32Array, full: number[], eps: number, running: { mean: Float32Array; var: Float32Array } | null, N: number, C: number, layout: Layout,
) {
  if (running === null) {
    const r = attempt(() => instanceNorm(x, full, { eps, layout, backend: reference }));
    const n = N * C;
    return r.value ? { mean: r.value.saveMean, invstd: r.value.saveInvstd } : { mean: new Float64Array(n), invstd: new Float64Array(n) };
  }
  return {
    mean: Float64Array.from({ length: N * C }, (_, u) => running.mean[u % C]),
    invstd: Float64Array.from({ length: N * C }, (_, u) => 1 / Math.sqrt(running.var[u % C] + eps)),
  };
}

function checkModule(c: InCase): void {
  const { shape, full, N, C, units, size, unitOf, channelOf } = geometry(c);
  const backends = builds.map((b) => b.backend);
  const live = liveBytes(backends);
  const ref = makeModule(c, reference);
  const ours = builds.map((b) => makeModule(c, b.backend));
  try {
    c.steps.forEach((step, s) => {
      const where = `step ${s} (${step.training ? "train" : "eval"})`;
      ref.train(step.training);
      ours.forEach((m) => m.train(step.training));
      const x = fillUnits(size, units, unitOf, c.xKinds, c.seed + 10 * s);
      const dy = fillGrads(size, units, unitOf, c.dyKinds, c.seed + 10 * s + 5);
      const useRunning = !step.training && c.trackRunningStats;
      const stats = planeStats(x, full, ref.eps, useRunning ? { mean: ref.runningMean!, var: ref.runningVar! } : null, N, C, c.layout);
      fc.pre(inDomain(stats.invstd));
      const before = ref.runningMean ? [ref.runningMean.slice(), ref.runningVar!.slice()] : null;
      const refY = attempt(() => ref.forward(x, shape));
      builds.forEach((build, b) => {
        const m = ours[b];
        if (refY.error !== null) return expectSameRefusal(`${where} ${build.name} forward`, refY.error, () => m.forward(x, shape));
        checkModuleStep(build, where, m, ref, refY.value, x, dy, shape, step.tensors, { units: units, unitOf: unitOf, params: C, paramOf: channelOf }, stats.mean, stats.invstd);
        if (before) {
          const check = checker(build.name, where);
          const weight = step.training ? ref.momentum : 0;
          check.scalars("running_mean", m.runningMean, ref.runningMean, runningScale(before[0], ref.runningMean!, weight, maxAbsPerUnit(x, C, channelOf)));
          check.scalars("running_var", m.runningVar, ref.runningVar, runningScale(before[1], ref.runningVar!, weight, new Float64Array(C)));
        }
      });
    });
  } finally {
    ref.dispose();
    ours.forEach((m) => m.dispose());
  }
  expectNoLeak("after the case", backends, live);
}

/** instanceNorm / instanceNormBackward (always batched (N, C, *) input, as F.instance_norm). */
function checkFunctional(c: InCase): void {
  const { full: shape, N, C, units, size, unitOf, channelOf } = geometry(c);
  const useInputStats = c.steps[0].training;
  const tensors = c.steps[0].tensors;
  const x = fillUnits(size, units, unitOf, c.xKinds, c.seed);
  const dy = fillGrads(size, units, unitOf, c.dyKinds, c.seed + 5);
  const weight = c.affine ? fillParams(C, c.weightKind, c.seed + 1) : null;
  const bias = c.affine || c.saved ? fillParams(C, c.biasKind, c.seed + 2) : null;
  const weightOf = (p: number) => (weight ? weight[p] : 1);
  const eps = c.eps ?? 1e-5;
  const rm0 = fillParams(C, "normal", c.seed + 3), rv0 = fillParams(C, "normal", c.seed + 4).map((v) => Math.abs(v) + 0.25);
  const withRunning = c.trackRunningStats || !useInputStats;
  const runningFor = () => (withRunning ? { runningMean: rm0.slice(), runningVar: rv0.slice() } : {});
  const options = { weight, bias, eps, useInputStats, layout: c.layout, ...(c.momentum !== undefined ? { momentum: c.momentum } : {}) };
  const refRunning = runningFor();
  const refFwd = attempt(() => instanceNorm(x, shape, { ...options, ...refRunning, backend: reference }));
  const backends = builds.map((b) => b.backend);
  const live = liveBytes(backends);
  for (const build of builds) {
    const backend = build.backend;
    const running = runningFor();
    if (refFwd.error !== null) {
      expectSameRefusal(`${build.name} forward`, refFwd.error, () => instanceNorm(x, shape, { ...options, ...running, backend }));
      continue;
    }
    const r = refFwd.value;
    const stats = planeStats(x, shape, eps, useInputStats ? null : { mean: rm0, var: rv0 }, N, C, c.layout);
    fc.pre(inDomain(stats.invstd));
    const check = checker(build.name, "functional");
    const xt = tensors ? tensor(shape, x, { backend }) : null;
    try {
      const ours = xt ? instanceNorm(xt, null, { ...options, ...running, backend }) : instanceNorm(x, shape, { ...options, ...running, backend });
      const fs = forwardScales(x, units, unitOf, channelOf, stats.mean, stats.invstd, weightOf, (p) => (bias ? bias[p] : 0));
      check.units("y", take(ours.y), r.y, units, unitOf, fs.scale, fs.floor);
      const statUnits = r.saveMean.length;
      check.units("saveMean", ours.saveMean, r.saveMean, statUnits, (i) => i, maxAbsPerUnit(x, statUnits, statUnits === C ? channelOf : unitOf));
      check.scalars("saveInvstd", ours.saveInvstd, r.saveInvstd);
      if (withRunning) {
        const m = useInputStats ? (c.momentum ?? 0.1) : 0;
        check.scalars("running_mean", running.runningMean!, refRunning.runningMean!, runningScale(rm0, refRunning.runningMean!, m, maxAbsPerUnit(x, C, channelOf)));
        check.scalars("running_var", running.runningVar!, refRunning.runningVar!, runningScale(rv0, refRunning.runningVar!, m, new Float64Array(C)));
      }
      const back = { weight, eps, useInputStats, layout: c.layout, ...(useInputStats ? {} : { runningMean: rm0, runningVar: rv0 }) };
      const want = instanceNormBackward(dy, x, shape, {
        ...back, ...(useInputStats ? { saveMean: r.saveMean, saveInvstd: r.saveInvstd } : {}), backend: reference,
      });
      const saved = c.saved && useInputStats ? { saveMean: ours.saveMean, saveInvstd: ours.saveInvstd } : {};
      const got = xt ? instanceNormBackward(dy, xt, shape, { ...back, ...saved, backend }) : instanceNormBackward(dy, x, shape, { ...back, ...saved, backend });
      const scales = backwardScales(x, dy, units, unitOf, C, channelOf, stats.mean, stats.invstd, weightOf);
      check.units("dx", take(got.dx), want.dx, units, unitOf, scales.dx, scales.dxFloor);
      check.scalars("dweight", got.dweight, want.dweight, scales.dweight, scales.dweightFloor);
      check.scalars("dbias", got.dbias, want.dbias, scales.dbias);
    } finally {
      xt?.dispose();
    }
  }
  expectNoLeak("after the case", backends, live);
}

describe(`InstanceNorm1d / 2d / 3d and instanceNorm / instanceNormBackward against the float64 reference (${runCount(CASES)} cases each, SIMD and scalar)`, () => {
  propertyTest("InstanceNorm modules", inCase, checkModule, CASES);
  propertyTest("instanceNorm functional", inCase, checkFunctional, CASES);
});
reportAfterAll("InstanceNorm properties");
