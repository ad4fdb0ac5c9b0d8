// The normalization family's rows (issue 4): LayerNorm, GroupNorm and InstanceNorm2d on
// the shapes, against the same memory.copy floor, the pure-JS reference and
// PyTorch. These modules have no running statistics here (LayerNorm and GroupNorm never,
// InstanceNorm2d by default), so inference is the training forward and gets no rows of
// its own. TF.js has none of these ops in tfjs-core, so it has no rows.
import type { Backend } from "../../src/runtime/backend.js";
import { GroupNorm } from "../../src/modules/groupnorm.js";
import { InstanceNorm2d } from "../../src/modules/instancenorm.js";
import { LayerNorm } from "../../src/modules/layernorm.js";
import { createReferenceBackend } from "../../src/reference/backend.js";
import { rowId, type Case, type OpName, type Pace, type Prepared, type Workload } from "../case.js";
import { inputsFor, type Inputs } from "../data.js";
import { prepareCopyFloor } from "../runners/copy-floor.js";
import { prepareModule, type Io, type NormModule } from "../runners/module.js";
import { workload } from "../workloads.js";
import type { BenchContext, Family } from "./family.js";

const OPS: readonly OpName[] = ["train", "trainBackward"];

/** `n` deterministic values in [lo, hi) taken from the workload's inputs, whatever n is. */
export function params(source: Float32Array, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => lo + (hi - lo) * ((source[i % source.length] + 1.5) / 4));
}

export function normFamily(
  name: string, torchName: string, workloads: readonly Workload[], testWorkloads: readonly Workload[],
  make: (w: Workload, inputs: Inputs) => (backend: Backend) => NormModule,
): Family {
  const row = (w: Workload, op: OpName | "copy", impl: string, pace: Pace, prepare: (inputs: Inputs) => Prepared): Case =>
    ({ id: rowId(name, w, op, impl), family: name, workload: w, op, impl, pace, prepare: () => prepare(inputsFor(w)) });
  const ours = (w: Workload, op: OpName, impl: string, backend: Backend, io: Io) =>
    row(w, op, impl, "fast", (inputs) => prepareModule(make(w, inputs), backend, w, inputs, op, io));
  return {
    name,
    torchName,
    ops: OPS,
    workloads,
    testWorkloads,
    cases(w: Workload, ctx: BenchContext): Case[] {
      return [
        row(w, "copy", "copy", "fast", (inputs) => prepareCopyFloor(w, inputs)),
        ...OPS.flatMap((op) => [
          ours(w, op, "simd-tensor", ctx.simd, "tensor"),
          ours(w, op, "simd-array", ctx.simd, "array"),
          ours(w, op, "scalar-tensor", ctx.scalar, "tensor"),
          row(w, op, "js-reference", "slow", (inputs) => prepareModule(make(w, inputs), createReferenceBackend(), w, inputs, op, "array")),
        ]),
      ];
    },
  };
}

export const layerNormFamily = normFamily(
  "LayerNorm", "layernorm",
  [workload([4096, 768], "NCHW"), { ...workload([64, 197, 768], "NCHW"), label: "64x197x768" }, workload([2048, 4096], "NCHW")],
  [workload([6, 8], "NCHW"), { ...workload([2, 3, 8], "NCHW"), label: "2x3x8" }],
  (w, inputs) => (backend) => {
    const D = w.shape[w.shape.length - 1];
    const m = new LayerNorm(D, { backend, eps: inputs.eps });
    m.weight!.set(params(inputs.weight, D, 0.5, 1.5));
    m.bias!.set(params(inputs.bias, D, -0.5, 0.5));
    return m as NormModule;
  },
);

/** 32 groups, as in the issue. */
export const GROUPS = 32;

export const groupNormFamily = normFamily(
  "GroupNorm", "groupnorm",
  [{ ...workload([32, 64, 56, 56], "NCHW"), label: `32x64x56x56 NCHW, ${GROUPS} groups` }],
  [workload([2, 64, 3, 3], "NCHW")],
  (w, inputs) => (backend) => {
    const C = w.shape[1];
    const m = new GroupNorm(GROUPS, C, { backend, eps: inputs.eps });
    m.weight!.set(params(inputs.weight, C, 0.5, 1.5));
    m.bias!.set(params(inputs.bias, C, -0.5, 0.5));
    return m as NormModule;
  },
);

export const instanceNormFamily = normFamily(
  "InstanceNorm2d", "instancenorm",
  [workload([8, 64, 128, 128], "NCHW")],
  [workload([2, 3, 4, 5], "NCHW")],
  (w, inputs) => (backend) => new InstanceNorm2d(w.shape[1], { backend, eps: inputs.eps }) as NormModule,
);
