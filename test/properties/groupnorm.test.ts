// Property: GroupNorm (module) and groupNorm / groupNormBackward (functional) on the SIMD and
// the scalar build agree with the float64 reference backend, over group counts dividing C
// (one group, one channel per group, several channels per group), 0 to 3 spatial dims, runs
// of 1 to several thousand values, affine on / off, both layouts, and hostile values per
// (sample, group). The reference itself gives the same numbers in both layouts (checked
// bit for bit on the transposed tensor), so NHWC agrees with NCHW up to float rounding.
import fc from "fast-check";
import { describe, expect } from "vitest";
import { GroupNorm, groupNorm, groupNormBackward, tensor, type Backend, type Layout } from "../../src/index.js";
import {
  attempt, backwardScales, expectNoLeak, expectSameRefusal, forwardScales, inDomain, liveBytes, maxAbsPerUnit, take,
} from "./common.js";
import { checkModuleStep } from "./module-step.js";
import { propertyTest, reference, reportAfterAll, runCount, wasmBuilds } from "./runner.js";
import { channelsFirst, ncsFor, pathClass, sizeOf, type NCS } from "./shapes.js";
import { checker } from "./tolerance.js";
import {
  dataSeed, fillGrads, fillParams, fillUnits, gradKinds, paramKind, valueKinds, type GradKind, type ParamKind, type ValueKind,
} from "./values.js";

export const CASES = 2000;

interface GnCase {
  readonly dims: NCS;
  readonly groups: number;
  readonly perGroup: number;
  readonly affine: boolean;
  readonly layout: Layout;
  readonly eps: number | undefined;
  readonly steps: readonly { readonly tensors: boolean }[];
  /** Functional backward: with this build's saved statistics (true) or recomputing them. */
  readonly saved: boolean;
  readonly xKinds: readonly ValueKind[];
  readonly dyKinds: readonly GradKind[];
  readonly weightKind: ParamKind;
  readonly biasKind: ParamKind;
  readonly seed: number;
}

const gnCase: fc.Arbitrary<GnCase> = fc
  .record({ k: fc.integer({ min: 0, max: 3 }), path: pathClass })
  .chain(({ k, path }) =>
    fc.record({
      dims: ncsFor(k, path, 1),
      groups: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 5 })),
      perGroup: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 4 })),
      affine: fc.boolean(),
      layout: fc.constantFrom("NCHW" as const, "NHWC" as const),
      eps: fc.constantFrom(undefined, 1e-5, 1e-3, 0),
      steps: fc.array(fc.record({ tensors: fc.boolean() }), { minLength: 1, maxLength: 2 }),
      saved: fc.boolean(),
      xKinds: valueKinds,
      dyKinds: gradKinds,
      weightKind: paramKind,
      biasKind: paramKind,
      seed: dataSeed,
    }))
  .filter((c) => c.dims.N * c.groups * c.perGroup * sizeOf(c.dims.spatial) <= 20000);

const builds = wasmBuilds();

function geometry(c: GnCase) {
  const G = c.groups, C = G * c.perGroup, S = sizeOf(c.dims.spatial), N = c.dims.N;
  const last = c.layout === "NHWC";
  const shape = last ? [N, ...c.dims.spatial, C] : [N, C, ...c.dims.spatial];
  const channelOf = last ? (i: number) => i % C : (i: number) => Math.floor(i / S) % C;
  const unitOf = (i: number) => Math.floor(i / (C * S)) * G + Math.floor(channelOf(i) / c.perGroup);
  return { shape, G, C, N, S, units: N * G, size: N * C * S, unitOf, channelOf };
}

function makeModule(c: GnCase, backend: Backend, C: number): GroupNorm {
  const m = new GroupNorm(c.groups, C, { backend, affine: c.affine, layout: c.layout, ...(c.eps !== undefined ? { eps: c.eps } : {}) });
  if (m.weight) m.weight.set(fillParams(C, c.weightKind, c.seed + 1));
  if (m.bias) m.bias.set(fillParams(C, c.biasKind, c.seed + 2));
  return m;
}

function checkModule(c: GnCase): void {
  const { shape, G, C, units, size, unitOf, channelOf } = geometry(c);
  const backends = builds.map((b) => b.backend);
  const live = liveBytes(backends);
  const ref = makeModule(c, reference, C);
  const ours = builds.map((b) => makeModule(c, b.backend, C));
  try {
    c.steps.forEach((step, s) => {
      const where = `step ${s}`;
      const x = fillUnits(size, units, unitOf, c.xKinds, c.seed + 10 * s);
      const dy = fillGrads(size, units, unitOf, c.dyKinds, c.seed + 10 * s + 5);
      const refY = attempt(() => ref.forward(x, shape));
      const stats = refY.error === null ? groupNorm(x, shape, G, { eps: ref.eps, layout: c.layout, backend: reference }) : null;
      if (stats) fc.pre(inDomain(stats.saveInvstd));
      builds.forEach((build, b) => {
        const m = ours[b];
        if (refY.error !== null) return expectSameRefusal(`${where} ${build.name} forward`, refY.error, () => m.forward(x, shape));
        checkModuleStep(build, where, m, ref, refY.value, x, dy, shape, step.tensors, { units: units, unitOf: unitOf, params: C, paramOf: channelOf }, stats!.saveMean, stats!.saveInvstd);
      });
    });
  } finally {
    ref.dispose();
    ours.forEach((m) => m.dispose());
  }
  expectNoLeak("after the case", backends, live);
}

/** The functional ops: weight / bias given or not; the backward with the saved statistics or recomputing them. */
function checkFunctional(c: GnCase): void {
  const { shape, G, C, N, S, units, size, unitOf, channelOf } = geometry(c);
  const layout = c.layout;
  const x = fillUnits(size, units, unitOf, c.xKinds, c.seed);
  const dy = fillGrads(size, units, unitOf, c.dyKinds, c.seed + 5);
  const weight = c.affine ? fillParams(C, c.weightKind, c.seed + 1) : null;
  const bias = c.saved !== c.affine ? fillParams(C, c.biasKind, c.seed + 2) : null;
  const weightOf = (p: number) => (weight ? weight[p] : 1);
  const eps = c.eps ?? 1e-5;
  const refFwd = attempt(() => groupNorm(x, shape, G, { weight, bias, eps, layout, backend: reference }));
  if (layout === "NHWC" && refFwd.error === null) checkLayoutsAgree(c, x, dy, weight, bias, eps, refFwd.value, N, C, S);
  const backends = builds.map((b) => b.backend);
  const live = liveBytes(backends);
  for (const build of builds) {
    const backend = build.backend;
    if (refFwd.error !== null) {
      expectSameRefusal(`${build.name} forward`, refFwd.error, () => groupNorm(x, shape, G, { weight, bias, eps, layout, backend }));
      continue;
    }
    const r = refFwd.value;
    fc.pre(inDomain(r.saveInvstd));
    const check = checker(build.name, "functional");
    const xt = c.steps[0].tensors ? tensor(shape, x, { backend }) : null;
    try {
      const ours = xt ? groupNorm(xt, null, G, { weight, bias, eps, layout, backend }) : groupNorm(x, shape, G, { weight, bias, eps, layout, backend });
      const fs = forwardScales(x, units, unitOf, channelOf, r.saveMean, r.saveInvstd, weightOf, (p) => (bias ? bias[p] : 0));
      check.units("y", take(ours.y), r.y, units, unitOf, fs.scale, fs.floor);
      check.units("saveMean", ours.saveMean, r.saveMean, units, (i) => i, maxAbsPerUnit(x, units, unitOf));
      check.scalars("saveInvstd", ours.saveInvstd, r.saveInvstd);
      const want = groupNormBackward(dy, x, shape, G, { weight, saveMean: r.saveMean, saveInvstd: r.saveInvstd, eps, layout, backend: reference });
      const scales = backwardScales(x, dy, units, unitOf, C, channelOf, r.saveMean, r.saveInvstd, weightOf);
      const saved = c.saved ? { saveMean: ours.saveMean, saveInvstd: ours.saveInvstd } : {};
      const got = xt
        ? groupNormBackward(dy, xt, shape, G, { weight, eps, layout, backend, ...saved })
        : groupNormBackward(dy, x, shape, G, { weight, eps, layout, backend, ...saved });
      check.units("dx", take(got.dx), want.dx, units, unitOf, scales.dx, scales.dxFloor);
      check.scalars("dweight", got.dweight, want.dweight, scales.dweight, scales.dweightFloor);
      check.scalars("dbias", got.dbias, want.dbias, scales.dbias);
    } finally {
      xt?.dispose();
    }
  }
  expectNoLeak("after the case", backends, live);
}

/** The reference in NHWC is the reference in NCHW of the transposed tensors, to the bit. */
function checkLayoutsAgree(
  c: GnCase, x: Float32Array, dy: Float32Array, weight: Float32Array | null, bias: Float32Array | null, eps: number,
  nhwc: { y: Float32Array; saveMean: Float64Array; saveInvstd: Float64Array }, N: number, C: number, S: number,
): void {
  const shape = [N, C, ...c.dims.spatial];
  const xt = channelsFirst(x, N, S, C), dyt = channelsFirst(dy, N, S, C);
  const nchw = groupNorm(xt, shape, c.groups, { weight, bias, eps, backend: reference });
  expect(channelsFirst(nhwc.y, N, S, C), "reference y, NHWC vs NCHW").toEqual(nchw.y);
  expect(nhwc.saveMean, "reference saveMean, NHWC vs NCHW").toEqual(nchw.saveMean);
  expect(nhwc.saveInvstd, "reference saveInvstd, NHWC vs NCHW").toEqual(nchw.saveInvstd);
  const saved = { weight, saveMean: nchw.saveMean, saveInvstd: nchw.saveInvstd, backend: reference };
  const last = groupNormBackward(dy, x, [N, ...c.dims.spatial, C], c.groups, { ...saved, layout: "NHWC" });
  const first = groupNormBackward(dyt, xt, shape, c.groups, saved);
  expect(channelsFirst(last.dx, N, S, C), "reference dx, NHWC vs NCHW").toEqual(first.dx);
  expect(last.dweight, "reference dweight, NHWC vs NCHW").toEqual(first.dweight);
  expect(last.dbias, "reference dbias, NHWC vs NCHW").toEqual(first.dbias);
}

describe(`GroupNorm and groupNorm / groupNormBackward against the float64 reference (${runCount(CASES)} cases each, SIMD and scalar)`, () => {
  propertyTest("GroupNorm module", gnCase, checkModule, CASES);
  propertyTest("groupNorm functional", gnCase, checkFunctional, CASES);
});
reportAfterAll("GroupNorm properties");
