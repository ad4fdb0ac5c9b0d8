// Every RMS-norm and residual add + norm fixture (float64 NumPy forward, PyTorch autograd of
// the composite) through the RMSNorm module (copy path and zero-copy path) and the functional
// API (arrays and tensors, saved statistics and recomputed ones), on one backend.
import { describe, it, expect } from "../helpers/test-api.js";
import {
  RMSNorm, addLayerNorm, addLayerNormBackward, addRmsNorm, addRmsNormBackward, rmsNorm, rmsNormBackward, tensor,
  type Backend, type Tensor,
} from "../../src/index.js";
import { expectClose } from "../helpers/compare.js";
import { rowNormCases, type RowNormCase, type RowNormStep } from "../helpers/rownorm-fixtures.js";

/** Relative to the largest reference magnitude, as the other fixture suites. */
const TOL = 1e-4;

const f32 = (a: number[] | undefined) => (a ? Float32Array.from(a) : null);
const data = (v: Float32Array | Tensor) => (v instanceof Float32Array ? v : v.data);

interface Outputs {
  y: Float32Array | Tensor;
  sum?: Float32Array | Tensor;
  mean?: Float64Array;
  /** The functional ops' saved statistics (the module keeps its own). */
  invstd?: Float64Array;
  dx: Float32Array | Tensor;
  dweight: Float32Array | null;
  dbias?: Float32Array | null;
  daddBias?: Float32Array | null;
}

function check(c: RowNormCase, label: string, step: RowNormStep, out: Outputs) {
  const op = c.op;
  expectClose(data(out.y), step.y, TOL, `${label} y`, `${op} y`);
  if (step.sum) expectClose(data(out.sum!), step.sum, TOL, `${label} sum`, `${op} sum`);
  if (step.mean) expectClose(out.mean, step.mean, TOL, `${label} mean`, `${op} mean`);
  if (out.invstd) expectClose(out.invstd, step.invstd, TOL, `${label} invstd`, `${op} invstd`);
  expectClose(data(out.dx), step.dx, TOL, `${label} dx`, `${op} dx`);
  if (step.dweight) expectClose(out.dweight, step.dweight, TOL, `${label} dweight`, `${op} dweight`);
  else expect(out.dweight, `${label}: no dweight without a weight`).toBeNull();
  if (c.op === "addLayerNorm") expectClose(out.dbias, step.dbias ?? sumRows(step.dy, step.dy.length / step.invstd.length), TOL, `${label} dbias`, `${op} dbias`);
  if (c.op !== "RMSNorm") expectClose(out.daddBias, step.daddBias ?? sumRows(step.dx, step.dx.length / step.invstd.length), TOL, `${label} daddBias`, `${op} daddBias`);
}

/** Column sums over rows of L: the gradient of a parameter the fixture's op did not have. */
function sumRows(v: number[], L: number): number[] {
  const out = new Array<number>(L).fill(0);
  v.forEach((value, i) => (out[i % L] += value));
  return out;
}

/** One functional forward + backward; `asTensor` puts x / residual / dy / dsum in the backend's memory. */
function functionalStep(c: RowNormCase, step: RowNormStep, backend: Backend, recompute: boolean, asTensor: boolean): Outputs {
  const ns = c.normalizedShape, shape = step.shape;
  const input = (v: number[] | undefined) => (v === undefined ? null : asTensor ? tensor(shape, v, { backend }) : Float32Array.from(v));
  const x = input(step.x)!, dy = input(step.dy)!, dsum = input(step.dsum);
  const shapeArg = asTensor ? null : shape;
  const weight = f32(c.init.weight), bias = f32(c.init.bias), addBias = f32(c.init.addBias);
  const eps = c.eps;
  let out: Outputs;
  if (c.op === "RMSNorm") {
    const r = rmsNorm(x as Float32Array, shapeArg as number[], ns, { weight, eps, backend });
    const g = rmsNormBackward(dy as Float32Array, x, shapeArg as number[], ns, { weight, eps, backend, ...(recompute ? {} : { saveInvRms: r.saveInvRms }) });
    out = { y: r.y, invstd: r.saveInvRms, ...g };
  } else {
    const residual = input(step.residual)!;
    if (c.op === "addLayerNorm") {
      const r = addLayerNorm(x as Float32Array, residual, shapeArg as number[], ns, { weight, bias, addBias, eps: eps ?? undefined, backend });
      const saved = recompute ? {} : { saveMean: r.saveMean, saveInvstd: r.saveInvstd };
      const g = addLayerNormBackward(dy as Float32Array, r.sum, shapeArg as number[], ns, { dsum, weight, eps: eps ?? undefined, backend, ...saved });
      out = { y: r.y, sum: r.sum, mean: r.saveMean, invstd: r.saveInvstd, ...g };
    } else {
      const r = addRmsNorm(x as Float32Array, residual, shapeArg as number[], ns, { weight, addBias, eps, backend });
      const g = addRmsNormBackward(dy as Float32Array, r.sum, shapeArg as number[], ns, { dsum, weight, eps, backend, ...(recompute ? {} : { saveInvRms: r.saveInvRms }) });
      out = { y: r.y, sum: r.sum, invstd: r.saveInvRms, ...g };
    }
    if (asTensor) expect((out.sum as Tensor).shape).toEqual(shape);
  }
  if (asTensor) expect((out.y as Tensor).shape).toEqual(shape);
  return out;
}

export function rowNormFixtureSuite(makeBackend: () => Backend): void {
  describe.each(rowNormCases.map((c) => [c.name, c] as const))("fixture %s", (_name, c) => {
    if (c.op === "RMSNorm") {
      for (const io of ["Float32Array", "tensor"] as const) {
        it(`RMSNorm module, ${io} in and out`, () => {
          const backend = makeBackend();
          const m = new RMSNorm(c.normalizedShape, { eps: c.eps, elementwiseAffine: c.init.weight !== undefined, backend });
          if (c.init.weight) m.loadStateDict({ weight: Float32Array.from(c.init.weight) });
          else expect(m.stateDict()).toEqual({});
          c.steps.forEach((step, i) => {
            const label = `${c.name} step ${i + 1} (module, ${io})`;
            const x = io === "tensor" ? tensor(step.shape, step.x, { backend }) : Float32Array.from(step.x);
            const y = io === "tensor" ? m.forward(x as Tensor) : m.forward(x as Float32Array, step.shape);
            const dy = io === "tensor" ? tensor(step.shape, step.dy, { backend }) : Float32Array.from(step.dy);
            const g = io === "tensor" ? m.backward(dy as Tensor) : m.backward(dy as Float32Array);
            expect(g.dbias, `${label}: RMSNorm has no bias`).toBeNull();
            check(c, label, step, { y, dx: g.dx, dweight: g.dweight });
            if (io === "tensor") for (const t of [x, y, dy, g.dx] as Tensor[]) t.dispose();
          });
          m.dispose();
        });
      }
    }

    it("functional API: arrays, then tensors; saved statistics, then recomputed ones", () => {
      const backend = makeBackend();
      c.steps.forEach((step, i) => {
        for (const asTensor of [false, true]) {
          for (const recompute of [false, true]) {
            const label = `${c.name} step ${i + 1} (${c.op}, ${asTensor ? "tensors" : "arrays"}, ${recompute ? "recomputed" : "saved"} statistics)`;
            check(c, label, step, functionalStep(c, step, backend, recompute, asTensor));
          }
        }
      });
    });
  });
}
