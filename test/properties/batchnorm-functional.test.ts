// Property: the functional batch norm (batchNorm / batchNormBackward, batchNormRelu /
// batchNormReluBackward) on the SIMD and the scalar build agrees with the float64 reference
// backend: y, the saved statistics, the running statistics updated in place, and the
// gradients of a backward fed the build's own saved statistics (as a caller chains them).
import fc from "fast-check";
import { describe } from "vitest";
import {
  CONVENTIONS, batchNorm, batchNormBackward, batchNormRelu, batchNormReluBackward, tensor, type Backend, type Convention, type Layout,
} from "../../src/index.js";
import {
  attempt, backwardScales, take, expectNoLeak, expectSameRefusal, forwardScales, inDomain, liveBytes, maskedBy, maxAbsPerUnit,
  relu, runningScale,
} from "./common.js";
import { propertyTest, reference, reportAfterAll, runCount, wasmBuilds } from "./runner.js";
import { ncsFor, pathClass, sizeOf, type NCS } from "./shapes.js";
import { checker } from "./tolerance.js";
import {
  dataSeed, fillGrads, fillParams, fillUnits, gradKinds, paramKind, valueKinds, type GradKind, type ParamKind, type ValueKind,
} from "./values.js";

export const CASES = 2000;

interface FnCase {
  readonly layout: Layout;
  readonly dims: NCS;
  readonly training: boolean;
  readonly running: boolean;
  readonly convention: Convention;
  readonly momentum: number | undefined;
  readonly eps: number | undefined;
  readonly relu: boolean;
  readonly weight: ParamKind | null;
  readonly bias: ParamKind | null;
  readonly tensors: boolean;
  readonly xKinds: readonly ValueKind[];
  readonly dyKinds: readonly GradKind[];
  readonly seed: number;
}

const fnCase: fc.Arbitrary<FnCase> = fc
  .record({ rank: fc.integer({ min: 2, max: 5 }), path: pathClass })
  .chain(({ rank, path }) =>
    fc.record({
      layout: fc.constantFrom("NCHW" as const, "NHWC" as const),
      dims: ncsFor(rank - 2, path),
      training: fc.boolean(),
      running: fc.boolean(),
      convention: fc.constantFrom("pytorch" as const, "keras" as const, "onnx" as const),
      momentum: fc.oneof(fc.constant(undefined), fc.constantFrom(0, 1, 0.1), fc.double({ min: 0, max: 1, noNaN: true })),
      eps: fc.constantFrom(undefined, 1e-5, 1e-3, 0),
      relu: fc.boolean(),
      weight: fc.option(paramKind),
      bias: fc.option(paramKind),
      tensors: fc.boolean(),
      xKinds: valueKinds,
      dyKinds: gradKinds,
      seed: dataSeed,
    }));

const builds = wasmBuilds();

function shapeOf(c: FnCase): number[] {
  const { N, C, spatial } = c.dims;
  return c.layout === "NHWC" && spatial.length > 0 ? [N, ...spatial, C] : [N, C, ...spatial];
}

/** An array input, or a tensor of it in the backend's memory (disposed by the caller). */
function input(data: Float32Array, shape: number[], backend: Backend, asTensor: boolean) {
  return asTensor ? tensor(shape, data, { backend }) : data;
}

function checkCase(c: FnCase): void {
  const shape = shapeOf(c);
  const size = sizeOf(shape);
  const C = c.dims.C;
  const S = sizeOf(c.dims.spatial);
  const channelOf = c.layout === "NHWC" || c.dims.spatial.length === 0 ? (i: number) => i % C : (i: number) => Math.floor(i / S) % C;
  const x = fillUnits(size, C, channelOf, c.xKinds, c.seed);
  const dy = fillGrads(size, C, channelOf, c.dyKinds, c.seed + 5);
  const weight = c.weight ? fillParams(C, c.weight, c.seed + 1) : null;
  const bias = c.bias ? fillParams(C, c.bias, c.seed + 2) : null;
  const weightOf = (p: number) => (weight ? weight[p] : 1);
  const rm0 = fillParams(C, "normal", c.seed + 3);
  const rv0 = fillParams(C, "normal", c.seed + 4).map((v) => Math.abs(v) + 0.25);
  const options = {
    training: c.training, layout: c.layout, convention: c.convention, weight, bias,
    ...(c.momentum !== undefined ? { momentum: c.momentum } : {}),
    ...(c.eps !== undefined ? { eps: c.eps } : {}),
  };
  const runningFor = () => (c.running ? { runningMean: rm0.slice(), runningVar: rv0.slice() } : {});
  const refRunning = runningFor();
  const refFwd = attempt(() => batchNorm(x, shape, { ...options, ...refRunning, backend: reference }));
  const backends = builds.map((b) => b.backend);
  const live = liveBytes(backends);
  const forward = c.relu ? batchNormRelu : batchNorm;
  for (const build of builds) {
    const backend = build.backend;
    const running = runningFor();
    const xIn = input(x, shape, backend, c.tensors);
    try {
      if (refFwd.error !== null) {
        const message = attempt(() => forward(x, shape, { ...options, ...runningFor(), backend: reference })).error!;
        expectSameRefusal(`${build.name} forward`, message, () => forward(xIn as never, shape, { ...options, ...running, backend }));
        continue;
      }
      const r = refFwd.value;
      fc.pre(inDomain(r.saveInvstd));
      const check = checker(build.name, "");
      const ours = forward(xIn as never, shape, { ...options, ...running, backend });
      const y = take(ours.y);
      const fs = forwardScales(x, C, channelOf, channelOf, r.saveMean, r.saveInvstd, weightOf, (p) => (bias ? bias[p] : 0));
      check.units("y", y, c.relu ? relu(r.y) : r.y, C, channelOf, fs.scale, fs.floor);
      check.scalars("saveMean", ours.saveMean, r.saveMean, maxAbsPerUnit(x, C, channelOf));
      check.scalars("saveInvstd", ours.saveInvstd, r.saveInvstd);
      if (c.running) {
        const w = c.training ? batchWeight(c) : 0;
        check.scalars("running_mean", running.runningMean!, refRunning.runningMean!, runningScale(rm0, refRunning.runningMean!, w, maxAbsPerUnit(x, C, channelOf)));
        check.scalars("running_var", running.runningVar!, refRunning.runningVar!, runningScale(rv0, refRunning.runningVar!, w, new Float64Array(C)));
      }
      // The backward of this build's own forward, fed its saved statistics.
      const dyEff = c.relu ? maskedBy(dy, y) : dy;
      const back = {
        training: c.training, layout: c.layout, convention: c.convention, weight,
        ...(c.eps !== undefined ? { eps: c.eps } : {}),
      };
      const want = batchNormBackward(dyEff, x, shape, {
        ...back, saveMean: r.saveMean, saveInvstd: r.saveInvstd, ...refRunning, backend: reference,
      });
      const dyIn = input(dy, shape, backend, c.tensors);
      try {
        const ourBack = { ...back, saveMean: ours.saveMean, saveInvstd: ours.saveInvstd, ...running, backend };
        const got = c.relu
          ? batchNormReluBackward(dyIn as never, xIn, shape, { ...ourBack, bias })
          : batchNormBackward(dyIn as never, xIn, shape, ourBack);
        const dx = take(got.dx);
        const scales = backwardScales(x, dyEff, C, channelOf, C, channelOf, r.saveMean, r.saveInvstd, weightOf);
        check.units("dx", dx, want.dx, C, channelOf, scales.dx, scales.dxFloor);
        check.scalars("dweight", got.dweight, want.dweight, scales.dweight, scales.dweightFloor);
        check.scalars("dbias", got.dbias, want.dbias, scales.dbias);
      } finally {
        if (!(dyIn instanceof Float32Array)) dyIn.dispose();
      }
    } finally {
      if (!(xIn instanceof Float32Array)) xIn.dispose();
    }
  }
  expectNoLeak("after the case", backends, live);
}

/** Weight of the batch statistics in the running update of this case. */
function batchWeight(c: FnCase): number {
  const rules = CONVENTIONS[c.convention];
  const m = c.momentum ?? rules.momentum;
  return rules.momentumIsDecay ? 1 - m : m;
}

describe(`batchNorm / batchNormRelu and their backward against the float64 reference (${runCount(CASES)} cases, SIMD and scalar)`, () => {
  propertyTest("functional batch norm", fnCase, checkCase, CASES);
});
reportAfterAll("Functional batch norm properties");
