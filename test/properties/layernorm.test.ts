// Property: LayerNorm (module) and layerNorm / layerNormBackward (functional) on the SIMD and
// the scalar build agree with the float64 reference backend, over 1 to 3 normalized dims,
// 0 to 2 leading dims, elementwiseAffine and bias on / off, rows of 1 to 4099 values (the
// all-f64 short rows, one piece, several 2048-float pieces), and hostile values per row.
import fc from "fast-check";
import { describe } from "vitest";
import { LayerNorm, layerNorm, layerNormBackward, tensor, type Backend } from "../../src/index.js";
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

export const CASES = 2000;

interface LnCase {
  readonly lead: readonly number[];
  readonly normalized: readonly number[];
  readonly elementwiseAffine: boolean;
  readonly bias: boolean;
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

/** Normalized dims by row length class: <= 8 (all-f64 rows), <= 16, up to ~400, around and past 2048. */
const normalizedDims = fc.integer({ min: 1, max: 3 }).chain((k) =>
  fc.oneof(
    { arbitrary: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: k, maxLength: k }), weight: 2 },
    { arbitrary: fc.array(smallDim, { minLength: k, maxLength: k }).filter((d) => sizeOf(d) <= 400), weight: 6 },
    {
      arbitrary: fc.tuple(longRun, fc.array(fc.integer({ min: 1, max: 2 }), { minLength: k - 1, maxLength: k - 1 }))
        .map(([r, rest]) => [...rest, r]),
      weight: 1,
    },
  ));

const lnCase: fc.Arbitrary<LnCase> = fc
  .record({
    lead: fc.array(smallDim, { minLength: 0, maxLength: 2 }),
    normalized: normalizedDims,
    elementwiseAffine: fc.boolean(),
    bias: fc.boolean(),
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

function makeModule(c: LnCase, backend: Backend): LayerNorm {
  const m = new LayerNorm(c.normalized, {
    backend, elementwiseAffine: c.elementwiseAffine, bias: c.bias, ...(c.eps !== undefined ? { eps: c.eps } : {}),
  });
  const L = sizeOf(c.normalized);
  if (m.weight) m.weight.set(fillParams(L, c.weightKind, c.seed + 1));
  if (m.bias) m.bias.set(fillParams(L, c.biasKind, c.seed + 2));
  return m;
}

function geometry(c: LnCase) {
  const shape = [...c.lead, ...c.normalized];
  const L = sizeOf(c.normalized), R = sizeOf(c.lead), size = R * L;
  return { shape, L, R, size, rowOf: (i: number) => Math.floor(i / L), paramOf: (i: number) => i % L };
}

function checkModule(c: LnCase): void {
  const { shape, L, R, size, rowOf, paramOf } = geometry(c);
  const backends = builds.map((b) => b.backend);
  const live = liveBytes(backends);
  const ref = makeModule(c, reference);
  const ours = builds.map((b) => makeModule(c, b.backend));
  try {
    c.steps.forEach((step, s) => {
      const where = `step ${s}`;
      const x = fillUnits(size, R, rowOf, c.xKinds, c.seed + 10 * s);
      const dy = fillGrads(size, R, rowOf, c.dyKinds, c.seed + 10 * s + 5);
      const stats = layerNorm(x, shape, c.normalized, { eps: ref.eps, backend: reference });
      fc.pre(inDomain(stats.saveInvstd));
      const refY = attempt(() => ref.forward(x, shape));
      builds.forEach((build, b) => {
        const m = ours[b];
        if (refY.error !== null) return expectSameRefusal(`${where} ${build.name} forward`, refY.error, () => m.forward(x, shape));
        checkModuleStep(build, where, m, ref, refY.value, x, dy, shape, step.tensors, { units: R, unitOf: rowOf, params: L, paramOf: paramOf }, stats.saveMean, stats.saveInvstd);
      });
    });
  } finally {
    ref.dispose();
    ours.forEach((m) => m.dispose());
  }
  expectNoLeak("after the case", backends, live);
}

/** The functional ops: weight / bias given or not; the backward with the saved statistics or recomputing them. */
function checkFunctional(c: LnCase): void {
  const { shape, L, R, size, rowOf, paramOf } = geometry(c);
  const x = fillUnits(size, R, rowOf, c.xKinds, c.seed);
  const dy = fillGrads(size, R, rowOf, c.dyKinds, c.seed + 5);
  const weight = c.elementwiseAffine ? fillParams(L, c.weightKind, c.seed + 1) : null;
  const bias = c.bias ? fillParams(L, c.biasKind, c.seed + 2) : null;
  const weightOf = (p: number) => (weight ? weight[p] : 1);
  const eps = c.eps ?? 1e-5;
  const r = layerNorm(x, shape, c.normalized, { weight, bias, eps, backend: reference });
  fc.pre(inDomain(r.saveInvstd));
  const backends = builds.map((b) => b.backend);
  const live = liveBytes(backends);
  for (const build of builds) {
    const backend = build.backend;
    const check = checker(build.name, "functional");
    const xt = c.steps[0].tensors ? tensor(shape, x, { backend }) : null;
    try {
      const ours = xt ? layerNorm(xt, null, c.normalized, { weight, bias, eps, backend }) : layerNorm(x, shape, c.normalized, { weight, bias, eps, backend });
      const fs = forwardScales(x, R, rowOf, paramOf, r.saveMean, r.saveInvstd, weightOf, (p) => (bias ? bias[p] : 0));
      check.units("y", take(ours.y), r.y, R, rowOf, fs.scale, fs.floor);
      check.units("saveMean", ours.saveMean, r.saveMean, R, (i) => i, maxAbsPerUnit(x, R, rowOf));
      check.scalars("saveInvstd", ours.saveInvstd, r.saveInvstd);
      const want = layerNormBackward(dy, x, shape, c.normalized, { weight, saveMean: r.saveMean, saveInvstd: r.saveInvstd, eps, backend: reference });
      const scales = backwardScales(x, dy, R, rowOf, L, paramOf, r.saveMean, r.saveInvstd, weightOf);
      const saved = c.saved ? { saveMean: ours.saveMean, saveInvstd: ours.saveInvstd } : {};
      const got = xt
        ? layerNormBackward(dy, xt, shape, c.normalized, { weight, eps, backend, ...saved })
        : layerNormBackward(dy, x, shape, c.normalized, { weight, eps, backend, ...saved });
      check.units("dx", take(got.dx), want.dx, R, rowOf, scales.dx, scales.dxFloor);
      check.scalars("dweight", got.dweight, want.dweight, scales.dweight, scales.dweightFloor);
      check.scalars("dbias", got.dbias, want.dbias, scales.dbias);
    } finally {
      xt?.dispose();
    }
  }
  expectNoLeak("after the case", backends, live);
}

describe(`LayerNorm and layerNorm / layerNormBackward against the float64 reference (${runCount(CASES)} cases each, SIMD and scalar)`, () => {
  propertyTest("LayerNorm module", lnCase, checkModule, CASES);
  propertyTest("layerNorm functional", lnCase, checkFunctional, CASES);
});
reportAfterAll("LayerNorm properties");
