// Property: BatchNorm1d / 2d / 3d on the SIMD and the scalar build agree with the same module
// on the float64 reference backend, over random shapes (both layouts), options (affine,
// trackRunningStats, momentum null or numeric, activation none / relu, the three
// conventions, eps), value distributions per channel, and a few train / eval steps, each
// with a forward and a backward (plain arrays or tensors). Tolerances: tolerance.ts.
import fc from "fast-check";
import { describe } from "vitest";
import {
  BatchNorm1d, BatchNorm2d, BatchNorm3d, CONVENTIONS, batchNorm, tensor, type Activation, type Backend, type BatchNormBase,
  type Convention, type Layout,
} from "../../src/index.js";
import {
  attempt, backwardScales, expectNoLeak, forwardScales, inDomain, expectSameRefusal, liveBytes, maskedBy, maxAbsPerUnit, relu, runningScale,
} from "./common.js";
import { propertyTest, reference, reportAfterAll, runCount, wasmBuilds } from "./runner.js";
import { ncsFor, pathClass, sizeOf, type NCS } from "./shapes.js";
import { checker } from "./tolerance.js";
import {
  dataSeed, fillGrads, fillParams, fillUnits, gradKinds, paramKind, valueKinds, type GradKind, type ParamKind, type ValueKind,
} from "./values.js";

export const CASES = 2000;

interface Step {
  readonly training: boolean;
  readonly tensors: boolean;
}

interface BnCase {
  readonly module: "BatchNorm1d" | "BatchNorm2d" | "BatchNorm3d";
  readonly layout: Layout;
  readonly dims: NCS;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly convention: Convention;
  readonly momentum: number | null | undefined;
  readonly eps: number | undefined;
  readonly activation: Activation;
  readonly initialRunning: boolean;
  readonly steps: readonly Step[];
  readonly xKinds: readonly ValueKind[];
  readonly dyKinds: readonly GradKind[];
  readonly weightKind: ParamKind;
  readonly biasKind: ParamKind;
  readonly seed: number;
}

const momentumValue = fc.oneof(fc.constantFrom(0, 1, 0.1, 0.9, 0.99), fc.double({ min: 0, max: 1, noNaN: true }));

const bnCase: fc.Arbitrary<BnCase> = fc
  .record({
    module: fc.constantFrom("BatchNorm1d" as const, "BatchNorm2d" as const, "BatchNorm3d" as const),
    rank1d: fc.constantFrom(2, 3),
    layout: fc.constantFrom("NCHW" as const, "NHWC" as const),
    path: pathClass,
    convention: fc.constantFrom("pytorch" as const, "keras" as const, "onnx" as const),
  })
  .chain(({ module, rank1d, layout, path, convention }) => {
    const k = module === "BatchNorm1d" ? rank1d - 2 : module === "BatchNorm2d" ? 2 : 3;
    return fc.record({
      module: fc.constant(module),
      layout: fc.constant(layout),
      dims: ncsFor(k, path),
      affine: fc.boolean(),
      trackRunningStats: fc.boolean(),
      convention: fc.constant(convention),
      momentum: convention === "pytorch"
        ? fc.oneof(fc.constant(undefined), fc.constant(null), momentumValue)
        : fc.oneof(fc.constant(undefined), momentumValue),
      eps: fc.constantFrom(undefined, 1e-5, 1e-3, 0.1, 0),
      activation: fc.constantFrom("none" as const, "relu" as const),
      initialRunning: fc.boolean(),
      steps: fc.array(fc.record({ training: fc.boolean(), tensors: fc.boolean() }), { minLength: 1, maxLength: 3 }),
      xKinds: valueKinds,
      dyKinds: gradKinds,
      weightKind: paramKind,
      biasKind: paramKind,
      seed: dataSeed,
    });
  })
;

function shapeOf(c: BnCase): number[] {
  const { N, C, spatial } = c.dims;
  return c.layout === "NHWC" && spatial.length > 0 ? [N, ...spatial, C] : [N, C, ...spatial];
}

/** Channel of element i. */
function channelMap(c: BnCase): (i: number) => number {
  const { C, spatial } = c.dims;
  const S = sizeOf(spatial);
  return c.layout === "NHWC" || spatial.length === 0 ? (i) => i % C : (i) => Math.floor(i / S) % C;
}

function makeModule(c: BnCase, backend: Backend, activation: Activation): BatchNormBase {
  const Module = { BatchNorm1d, BatchNorm2d, BatchNorm3d }[c.module];
  const options = {
    backend, layout: c.layout, affine: c.affine, trackRunningStats: c.trackRunningStats, convention: c.convention, activation,
    ...(c.momentum !== undefined ? { momentum: c.momentum } : {}),
    ...(c.eps !== undefined ? { eps: c.eps } : {}),
  };
  const m = new Module(c.dims.C, options);
  const C = c.dims.C;
  if (m.weight) m.weight.set(fillParams(C, c.weightKind, c.seed + 1));
  if (m.bias) m.bias.set(fillParams(C, c.biasKind, c.seed + 2));
  if (c.initialRunning && m.runningMean) {
    m.runningMean.set(fillParams(C, "normal", c.seed + 3));
    m.runningVar!.set(fillParams(C, "normal", c.seed + 4).map((v) => Math.abs(v) + 0.25));
  }
  return m;
}

interface Outputs {
  y: Float32Array;
  dx: Float32Array;
  dweight: Float32Array | null;
  dbias: Float32Array | null;
}

/** Forward then backward on a module, through arrays or tensors; tensors are disposed. */
function forwardOnly(m: BatchNormBase, x: Float32Array, shape: number[], tensors: boolean) {
  if (!tensors) return { y: m.forward(x, shape), dispose: () => {} };
  const xt = tensor(shape, x, { backend: m.backend });
  try {
    const yt = m.forward(xt);
    const y = yt.data.slice();
    yt.dispose();
    return { y, dispose: () => xt.dispose() };
  } catch (error) {
    xt.dispose();
    throw error;
  }
}

function backwardOnly(m: BatchNormBase, dy: Float32Array, shape: number[], tensors: boolean): Omit<Outputs, "y"> {
  if (!tensors) return m.backward(dy);
  const dyt = tensor(shape, dy, { backend: m.backend });
  const g = m.backward(dyt);
  const dx = g.dx.data.slice();
  g.dx.dispose();
  dyt.dispose();
  return { dx, dweight: g.dweight, dbias: g.dbias };
}

const builds = wasmBuilds();

function checkCase(c: BnCase): void {
  const shape = shapeOf(c);
  const size = sizeOf(shape);
  const C = c.dims.C;
  const channelOf = channelMap(c);
  const backends = builds.map((b) => b.backend);
  const live = liveBytes(backends);
  const ref = makeModule(c, reference, "none");
  const ours = builds.map((b) => makeModule(c, b.backend, c.activation));
  try {
    c.steps.forEach((step, s) => {
      const where = `step ${s} (${step.training ? "train" : "eval"})`;
      ref.train(step.training);
      ours.forEach((m) => m.train(step.training));
      const x = fillUnits(size, C, channelOf, c.xKinds, c.seed + 10 * s);
      const dy = fillGrads(size, C, channelOf, c.dyKinds, c.seed + 10 * s + 5);
      const stats = forwardStats(c, ref, x, shape);
      fc.pre(inDomain(stats.invstd));
      const w = ref.weight;
      const weightOf = (p: number) => (w ? w[p] : 1);
      const biasOf = (p: number) => (ref.bias ? ref.bias[p] : 0);
      const runningBefore = ref.runningMean ? [ref.runningMean.slice(), ref.runningVar!.slice()] : null;
      const refY = attempt(() => ref.forward(x, shape));
      builds.forEach((build, b) => {
        const m = ours[b];
        if (refY.error !== null) return expectSameRefusal(`${where} ${build.name} forward`, refY.error, () => m.forward(x, shape));
        const check = checker(build.name, where);
        const yRef = refY.value;
        const { y, dispose } = forwardOnly(m, x, shape, step.tensors);
        try {
          const wantY = c.activation === "relu" ? relu(yRef) : yRef;
          const fs = forwardScales(x, C, channelOf, channelOf, stats.mean, stats.invstd, weightOf, biasOf);
          check.units("y", y, wantY, C, channelOf, fs.scale, fs.floor);
          // The backward of the function this build's forward computed: dy masked where its y was not positive.
          const dyEff = c.activation === "relu" ? maskedBy(dy, y) : dy;
          const want = ref.backward(dyEff);
          const got = backwardOnly(m, dy, shape, step.tensors);
          const scales = backwardScales(x, dyEff, C, channelOf, C, channelOf, stats.mean, stats.invstd, weightOf);
          check.units("dx", got.dx, want.dx, C, channelOf, scales.dx, scales.dxFloor);
          check.scalars("dweight", got.dweight, want.dweight, scales.dweight, scales.dweightFloor);
          check.scalars("dbias", got.dbias, want.dbias, scales.dbias);
        } finally {
          dispose();
        }
        if (runningBefore) {
          const weight = batchWeight(c, ref.numBatchesTracked);
          check.scalars("running_mean", m.runningMean, ref.runningMean, runningScale(runningBefore[0], ref.runningMean!, weight, maxAbsPerUnit(x, C, channelOf)));
          check.scalars("running_var", m.runningVar, ref.runningVar, runningScale(runningBefore[1], ref.runningVar!, weight, new Float64Array(C)));
        }
        check.equal("numBatchesTracked", m.numBatchesTracked, ref.numBatchesTracked);
      });
    });
  } finally {
    ref.dispose();
    ours.forEach((m) => m.dispose());
  }
  expectNoLeak("after the case", backends, live);
}

/** Weight of the batch statistics in the running update just made (batches: counted after it). */
function batchWeight(c: BnCase, batches: number): number {
  const m = c.momentum === undefined ? CONVENTIONS[c.convention].momentum : c.momentum;
  if (m === null) return 1 / Math.max(1, batches);
  return CONVENTIONS[c.convention].momentumIsDecay ? 1 - m : m;
}

/** Per-channel float64 mean / invstd the next forward of `ref` normalizes with (batch or running). */
function forwardStats(c: BnCase, ref: BatchNormBase, x: Float32Array, shape: number[]) {
  const C = c.dims.C, eps = ref.eps;
  if (ref.training || !c.trackRunningStats) {
    const r = attempt(() => batchNorm(x, shape, { training: true, layout: c.layout, eps, backend: reference }));
    return r.value ? { mean: r.value.saveMean, invstd: r.value.saveInvstd } : { mean: new Float64Array(C), invstd: new Float64Array(C) };
  }
  return {
    mean: Float64Array.from(ref.runningMean!),
    invstd: Float64Array.from(ref.runningVar!, (v) => 1 / Math.sqrt(v + eps)),
  };
}

describe(`BatchNorm1d / 2d / 3d against the float64 reference (${runCount(CASES)} cases, SIMD and scalar)`, () => {
  propertyTest("BatchNorm modules", bnCase, checkCase, CASES);
});
reportAfterAll("BatchNorm module properties");
