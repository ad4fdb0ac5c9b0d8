// The transformer norms' rows (issue 15): RMSNorm on the issue's shapes (training forward and
// forward + backward, as the other norm modules), and addLayerNorm / addRmsNorm forward on
// 2048x4096, whose floor copies both inputs (x, and dy as the residual: they read two tensors
// and write two). PyTorch runs the composites models write (torch_bench.py).
import type { Backend } from "../../src/runtime/backend.js";
import { RMSNorm } from "../../src/modules/rmsnorm.js";
import { addLayerNorm, addRmsNorm } from "../../src/functional/rownorm.js";
import { createReferenceBackend } from "../../src/reference/backend.js";
import { tensor, type Tensor } from "../../src/runtime/tensor.js";
import { rowId, type Case, type OpName, type Pace, type Prepared, type Workload } from "../case.js";
import { inputsFor, type Inputs } from "../data.js";
import { arrayFloorRow } from "../runners/array-floor.js";
import { prepareCopyFloor } from "../runners/copy-floor.js";
import type { Io, NormModule } from "../runners/module.js";
import { workload } from "../workloads.js";
import type { BenchContext, Family } from "./family.js";
import { normFamily, params } from "./norms.js";

export const rmsNormFamily = normFamily(
  "RMSNorm", "rmsnorm",
  [workload([2048, 4096], "NCHW"), { ...workload([64, 197, 768], "NCHW"), label: "64x197x768" }],
  [workload([6, 8], "NCHW"), { ...workload([2, 3, 8], "NCHW"), label: "2x3x8" }],
  (w, inputs) => (backend) => {
    const D = w.shape[w.shape.length - 1];
    const m = new RMSNorm(D, { backend, eps: inputs.eps });
    m.weight!.set(params(inputs.weight, D, 0.5, 1.5));
    return m as NormModule;
  },
);

type AddNorm = typeof addLayerNorm | typeof addRmsNorm;

/** One functional add + norm forward on `backend`: tensors in and out (disposed every call) or Float32Arrays. */
function prepareAddNorm(op: AddNorm, withBias: boolean, backend: Backend, w: Workload, inputs: Inputs, io: Io): Prepared {
  const L = w.shape[w.shape.length - 1];
  const options = {
    weight: params(inputs.weight, L, 0.5, 1.5), addBias: params(inputs.bias, L, -0.2, 0.2), backend,
    ...(withBias ? { bias: params(inputs.bias, L, -0.5, 0.5) } : {}),
  };
  const call = op as (x: Float32Array | Tensor, r: Float32Array | Tensor, shape: readonly number[] | null, ns: number, o: object) =>
    { y: Float32Array | Tensor; sum: Float32Array | Tensor };
  if (io !== "tensor") {
    const outs = io === "array-out" ? { out: new Float32Array(w.elements), outSum: new Float32Array(w.elements) } : {};
    const step = () => call(inputs.x, inputs.dy, w.shape, L, { ...options, ...outs });
    return {
      run: () => void step(),
      outputs: () => {
        const r = step();
        return { y: (r.y as Float32Array).slice(), sum: (r.sum as Float32Array).slice() };
      },
      dispose: () => {},
    };
  }
  const xt = tensor(w.shape, inputs.x, { backend }), rt = tensor(w.shape, inputs.dy, { backend });
  const step = () => call(xt, rt, null, L, options) as { y: Tensor; sum: Tensor };
  return {
    run: () => {
      const r = step();
      r.y.dispose();
      r.sum.dispose();
    },
    outputs: () => {
      const r = step();
      const out = { y: r.y.data.slice(), sum: r.sum.data.slice() };
      r.y.dispose();
      r.sum.dispose();
      return out;
    },
    dispose: () => {
      xt.dispose();
      rt.dispose();
    },
  };
}

function addNormFamily(name: string, torchName: string, op: AddNorm, withBias: boolean): Family {
  const two = (w: Workload): Workload => ({ ...w, tensors: 2 });
  const row = (w: Workload, kind: "train" | "copy", impl: string, pace: Pace, prepare: (inputs: Inputs) => Prepared): Case =>
    ({ id: rowId(name, w, kind, impl), family: name, workload: w, op: kind, impl, pace, prepare: () => prepare(inputsFor(w)) });
  const floorRow = (w: Workload, _op: OpName, impl: string, pace: Pace, prepare: (inputs: Inputs) => Prepared) => row(w, "train", impl, pace, prepare);
  const ours = (w: Workload, impl: string, backend: Backend, io: Io) =>
    row(w, "train", impl, "fast", (inputs) => prepareAddNorm(op, withBias, backend, w, inputs, io));
  return {
    name,
    torchName,
    ops: ["train"],
    workloads: [two(workload([2048, 4096], "NCHW"))],
    testWorkloads: [two(workload([6, 8], "NCHW")), two({ ...workload([2, 3, 8], "NCHW"), label: "2x3x8" })],
    cases(w: Workload, ctx: BenchContext): Case[] {
      return [
        row(w, "copy", "copy", "fast", (inputs) => prepareCopyFloor(w, inputs)),
        ours(w, "simd-tensor", ctx.simd, "tensor"),
        ours(w, "simd-array", ctx.simd, "array"),
        arrayFloorRow(ctx.simd, w, "train", true, floorRow),
        ours(w, "simd-array-out", ctx.simd, "array-out"),
        arrayFloorRow(ctx.simd, w, "train", false, floorRow),
        ...(ctx.threads2 ? [ours(w, "simd-threads2", ctx.threads2, "tensor")] : []),
        ours(w, "scalar-tensor", ctx.scalar, "tensor"),
        row(w, "train", "js-reference", "slow", (inputs) => prepareAddNorm(op, withBias, createReferenceBackend(), w, inputs, "array")),
      ];
    },
  };
}

export const addLayerNormFamily = addNormFamily("addLayerNorm", "addlayernorm", addLayerNorm, true);
export const addRmsNormFamily = addNormFamily("addRmsNorm", "addrmsnorm", addRmsNorm, false);
