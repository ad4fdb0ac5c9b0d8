// Property: RMSNorm (module), rmsNorm / rmsNormBackward, addLayerNorm / addLayerNormBackward and
// addRmsNorm / addRmsNormBackward on the SIMD and the scalar build agree with the float64
// reference backend, over 1 to 3 normalized dims, 0 to 2 leading dims, weight / bias / addBias
// / dsum on and off, rows of 1 to 4099 values (the all-f64 short rows, one piece, several
// pieces), and hostile values per row.
import fc from "fast-check";
import { describe } from "vitest";
import {
  RMSNorm, addLayerNorm, addLayerNormBackward, addRmsNorm, addRmsNormBackward, rmsNorm, rmsNormBackward, tensor, type Backend,
} from "../../src/index.js";
import {
  attempt, backwardScales, take, expectNoLeak, expectSameRefusal, forwardScales, inDomain, liveBytes, maxAbsPerUnit,
} from "./common.js";
import { checkModuleStep } from "./module-step.js";
import { propertyTest, reference, reportAfterAll, runCount, wasmBuilds } from "./runner.js";
import { longRun, sizeOf, smallDim } from "./shapes.js";
import { checker } from "./tolerance.js";
import {
  dataSeed, fillGrads, fillParams, fillUnits, gradKinds, paramKind, valueKinds, type GradKind, type ParamKind, type ValueKind,
} from "./values.js";

export const CASES = 1000;

interface RowCase {
  readonly lead: readonly number[];
  readonly normalized: readonly number[];
  readonly weight: boolean;
  readonly bias: boolean;
  readonly addBias: boolean;
  readonly dsum: boolean;
  readonly eps: number | undefined;
  readonly steps: readonly { readonly tensors: boolean }[];
  readonly saved: boolean;
  readonly xKinds: readonly ValueKind[];
  readonly dyKinds: readonly GradKind[];
  readonly weightKind: ParamKind;
  readonly biasKind: ParamKind;
  readonly seed: number;
}

/** Normalized dims by row length class: <= 8 (all-f64 rows), up to ~400, around and past the 512 / 2048-float pieces. */
const normalizedDims = fc.integer({ min: 1, max: 3 }).chain((k) =>
  fc.oneof(
    { arbitrary: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: k, maxLength: k }), weight: 2 },
    { arbitrary: fc.array(smallDim, { minLength: k, maxLength: k }).filter((d) => sizeOf(d) <= 400), weight: 6 },
    {
      arbitrary: fc.tuple(fc.oneof(longRun, fc.constantFrom(511, 512, 513)), fc.array(fc.integer({ min: 1, max: 2 }), { minLength: k - 1, maxLength: k - 1 }))
        .map(([r, rest]) => [...rest, r]),
      weight: 1,
    },
  ));

const rowCase: fc.Arbitrary<RowCase> = fc
  .record({
    lead: fc.array(smallDim, { minLength: 0, maxLength: 2 }),
    normalized: normalizedDims,
    weight: fc.boolean(),
    bias: fc.boolean(),
    addBias: fc.boolean(),
    dsum: fc.boolean(),
    eps: fc.constantFrom(undefined, 1e-5, 1e-3, 0),
    steps: fc.array(fc.record({ tensors: fc.boolean() }), { minLength: 1, maxLength: 2 }),
    saved: fc.boolean(),
    xKinds: valueKinds,
    dyKinds: gradKinds,
    weightKind: paramKind,
    biasKind: paramKind,
    seed: dataSeed,
  })
  .filter((c) => sizeOf(c.lead) * sizeOf(c.normalized) <= 20000);

const builds = wasmBuilds();

function geometry(c: RowCase) {
  const shape = [...c.lead, ...c.normalized];
  const L = sizeOf(c.normalized), R = sizeOf(c.lead), size = R * L;
  return { shape, L, R, size, rowOf: (i: number) => Math.floor(i / L), paramOf: (i: number) => i % L };
}

function makeModule(c: RowCase, backend: Backend): RMSNorm {
  const m = new RMSNorm(c.normalized, { backend, elementwiseAffine: c.weight, ...(c.eps !== undefined ? { eps: c.eps } : {}) });
  if (m.weight) m.weight.set(fillParams(m.weight.length, c.weightKind, c.seed + 1));
  return m;
}

function checkModule(c: RowCase): void {
  const { shape, L, R, size, rowOf, paramOf } = geometry(c);
  const backends = builds.map((b) => b.backend);
  const live = liveBytes(backends);
  const ref = makeModule(c, reference);
  const ours = builds.map((b) => makeModule(c, b.backend));
  const zeros = new Float64Array(R);
  try {
    c.steps.forEach((step, s) => {
      const where = `step ${s}`;
      const x = fillUnits(size, R, rowOf, c.xKinds, c.seed + 10 * s);
      const dy = fillGrads(size, R, rowOf, c.dyKinds, c.seed + 10 * s + 5);
      const stats = rmsNorm(x, shape, c.normalized, { eps: ref.eps, backend: reference });
      fc.pre(inDomain(stats.saveInvRms));
      const refY = attempt(() => ref.forward(x, shape));
      builds.forEach((build, b) => {
        const m = ours[b];
        if (refY.error !== null) return expectSameRefusal(`${where} ${build.name} forward`, refY.error, () => m.forward(x, shape));
        checkModuleStep(build, where, m, ref, refY.value, x, dy, shape, step.tensors, { units: R, unitOf: rowOf, params: L, paramOf }, zeros, stats.saveInvRms);
      });
    });
  } finally {
    ref.dispose();
    ours.forEach((m) => m.dispose());
  }
  expectNoLeak("after the case", backends, live);
}

type Op = "rmsNorm" | "addLayerNorm" | "addRmsNorm";

/** One op's forward and backward on `backend`, with x / residual / dy / dsum as arrays or tensors. */
function run(op: Op, c: RowCase, backend: Backend, arrays: Record<string, Float32Array | null>, asTensors: boolean, saved: Record<string, unknown> | null) {
  const { shape, L } = geometry(c);
  const t = (v: Float32Array | null) => (v && asTensors ? tensor(shape, v, { backend }) : v);
  const made: { dispose(): void }[] = [];
  const own = <T>(v: T): T => {
    if (v && typeof (v as { dispose?: unknown }).dispose === "function") made.push(v as unknown as { dispose(): void });
    return v;
  };
  const x = own(t(arrays.x))!, residual = own(t(arrays.residual)), dy = own(t(arrays.dy))!, dsum = own(t(arrays.dsum));
  const shapeArg = asTensors ? null : shape;
  const weight = c.weight ? fillParams(L, c.weightKind, c.seed + 1) : null;
  const bias = c.bias ? fillParams(L, c.biasKind, c.seed + 2) : null;
  const addBias = c.addBias ? fillParams(L, c.biasKind, c.seed + 3) : null;
  const eps = c.eps;
  try {
    if (op === "rmsNorm") {
      const f = rmsNorm(x as Float32Array, shapeArg as number[], c.normalized, { weight, eps, backend });
      const g = rmsNormBackward(dy as Float32Array, x, shapeArg as number[], c.normalized, { weight, eps, backend, ...(saved ?? {}) });
      return { y: take(f.y), sum: null, mean: null, invstd: f.saveInvRms, dx: take(g.dx), dweight: g.dweight, dbias: null, daddBias: null };
    }
    if (op === "addLayerNorm") {
      const f = addLayerNorm(x as Float32Array, residual!, shapeArg as number[], c.normalized, { weight, bias, addBias, eps, backend });
      const sum = take(f.sum);
      const g = addLayerNormBackward(dy as Float32Array, sum, shape, c.normalized, { dsum, weight, eps, backend, ...(saved ?? {}) });
      return { y: take(f.y), sum, mean: f.saveMean, invstd: f.saveInvstd, dx: take(g.dx), dweight: g.dweight, dbias: g.dbias, daddBias: g.daddBias };
    }
    const f = addRmsNorm(x as Float32Array, residual!, shapeArg as number[], c.normalized, { weight, addBias, eps, backend });
    const sum = take(f.sum);
    const g = addRmsNormBackward(dy as Float32Array, sum, shape, c.normalized, { dsum, weight, eps, backend, ...(saved ?? {}) });
    return { y: take(f.y), sum, mean: null, invstd: f.saveInvRms, dx: take(g.dx), dweight: g.dweight, dbias: null, daddBias: g.daddBias };
  } finally {
    made.forEach((m) => m.dispose());
  }
}

/** The functional ops on both builds against the reference; the backward with this build's saved statistics or recomputing them. */
function checkFunctional(op: Op, c: RowCase): void {
  const { L, R, size, rowOf, paramOf } = geometry(c);
  const arrays = {
    x: fillUnits(size, R, rowOf, c.xKinds, c.seed),
    residual: op === "rmsNorm" ? null : fillUnits(size, R, rowOf, c.xKinds, c.seed + 7),
    dy: fillGrads(size, R, rowOf, c.dyKinds, c.seed + 5),
    dsum: op !== "rmsNorm" && c.dsum ? fillGrads(size, R, rowOf, c.dyKinds, c.seed + 9) : null,
  };
  const want = run(op, c, reference, arrays, false, null);
  fc.pre(inDomain(want.invstd));
  const weight = c.weight ? fillParams(L, c.weightKind, c.seed + 1) : null;
  const bias = op === "addLayerNorm" && c.bias ? fillParams(L, c.biasKind, c.seed + 2) : null;
  const weightOf = (p: number) => (weight ? weight[p] : 1);
  const s = want.sum ?? arrays.x;
  const mean = want.mean ?? new Float64Array(R);
  const fs = forwardScales(s, R, rowOf, paramOf, mean, want.invstd, weightOf, (p) => (bias ? bias[p] : 0));
  const scales = backwardScales(s, arrays.dy, R, rowOf, L, paramOf, mean, want.invstd, weightOf);
  const backends = builds.map((b) => b.backend);
  const live = liveBytes(backends);
  for (const build of builds) {
    const check = checker(build.name, op);
    const first = run(op, c, build.backend, arrays, c.steps[0].tensors, null);
    check.units("y", first.y, want.y, R, rowOf, fs.scale, fs.floor);
    check.scalars("invstd", first.invstd, want.invstd);
    if (want.mean) check.units("mean", first.mean!, want.mean, R, (i) => i, maxAbsPerUnit(s, R, rowOf));
    // The sum is float32 arithmetic on the same inputs: the same bits.
    if (want.sum) want.sum.forEach((v, i) => check.equal(`sum[${i}]`, Object.is(first.sum![i], v) || first.sum![i] === v, true));
    const savedStats = c.saved ? (op === "addLayerNorm" ? { saveMean: first.mean, saveInvstd: first.invstd } : { saveInvRms: first.invstd }) : null;
    const got = c.saved ? run(op, c, build.backend, arrays, c.steps[0].tensors, savedStats) : first;
    // dsum joins dx after the norm's gradient: its magnitude adds to dx's scale.
    const dxScale = arrays.dsum ? Float64Array.from(scales.dx, (v, u) => v + maxAbsPerUnit(arrays.dsum!, R, rowOf)[u]) : scales.dx;
    check.units("dx", got.dx, want.dx, R, rowOf, dxScale, scales.dxFloor);
    check.scalars("dweight", got.dweight, want.dweight, scales.dweight, scales.dweightFloor);
    if (want.dbias) check.scalars("dbias", got.dbias, want.dbias, scales.dbias);
    if (want.daddBias) {
      const d = daddBiasScales(want.dx, L, R, dxScale, scales.dxFloor, rowOf);
      check.scalars("daddBias", got.daddBias, want.daddBias, d.scale, d.floor);
    }
  }
  expectNoLeak("after the case", backends, live);
}

/**
 * daddBias sums dx over the rows: each row adds an error of up to its dx tolerance (the
 * scale dx is checked against, at least its largest |dx|, and its floor).
 */
function daddBiasScales(
  dx: ArrayLike<number>, L: number, R: number, dxScale: Float64Array, dxFloor: Float64Array, rowOf: (i: number) => number,
) {
  const rowScale = Float64Array.from(maxAbsPerUnit(dx, R, rowOf), (v, r) => Math.max(v, dxScale[r]));
  const scale = new Float64Array(L), floor = new Float64Array(L);
  for (let i = 0; i < dx.length; i++) {
    scale[i % L] += rowScale[rowOf(i)];
    floor[i % L] += dxFloor[rowOf(i)];
  }
  return { scale, floor };
}

describe(`RMSNorm and the residual add + norm ops against the float64 reference (${runCount(CASES)} cases each, SIMD and scalar)`, () => {
  propertyTest("RMSNorm module", rowCase, checkModule, CASES);
  for (const op of ["rmsNorm", "addLayerNorm", "addRmsNorm"] as const) propertyTest(`${op} functional`, rowCase, (c) => checkFunctional(op, c), CASES);
});
reportAfterAll("RMSNorm and add + norm properties");
