// The normalization family's rows (issue 4): LayerNorm, GroupNorm and InstanceNorm2d on
// the shapes, against the same memory.copy floor, the pure-JS reference and
// PyTorch. These modules have no running statistics here (LayerNorm and GroupNorm never,
// InstanceNorm2d by default), so inference is the training forward and gets no rows of
// its own. TF.js has none of these ops in tfjs-core; tf.layers.layerNormalization in
// training, TF.js's and createTfjsLayers' (issue 16), has rows on the (batch, tokens,
// features) workloads.
import type { Backend } from "../../src/runtime/backend.js";
import { GroupNorm } from "../../src/modules/groupnorm.js";
import { InstanceNorm2d } from "../../src/modules/instancenorm.js";
import { LayerNorm } from "../../src/modules/layernorm.js";
import { createReferenceBackend } from "../../src/reference/backend.js";
import { rowId, type Case, type OpName, type Pace, type Prepared, type Workload } from "../case.js";
import { inputsFor, type Inputs } from "../data.js";
import { arrayFloorRow } from "../runners/array-floor.js";
import { prepareCopyFloor } from "../runners/copy-floor.js";
import { prepareModule, type Io, type NormModule } from "../runners/module.js";
import { LAYER_ROWS, prepareTfjsLayer } from "../runners/tfjs-layers.js";
import { channelsOf, workload } from "../workloads.js";
import type { BenchContext, Family } from "./family.js";

const OPS: readonly OpName[] = ["train", "trainBackward"];

/** `n` deterministic values in [lo, hi) taken from the workload's inputs, whatever n is. */
export function params(source: Float32Array, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => lo + (hi - lo) * ((source[i % source.length] + 1.5) / 4));
}

type RowMaker = (w: Workload, op: OpName | "copy", impl: string, pace: Pace, prepare: (inputs: Inputs) => Prepared | Promise<Prepared>) => Case;

export function normFamily(
  name: string, torchName: string, workloads: readonly Workload[], testWorkloads: readonly Workload[],
  make: (w: Workload, inputs: Inputs) => (backend: Backend) => NormModule,
  extraRows: (w: Workload, op: OpName, row: RowMaker) => Case[] = () => [],
): Family {
  const row: RowMaker = (w, op, impl, pace, prepare) =>
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
          arrayFloorRow(ctx.simd, w, op, true, row),
          ours(w, op, "simd-array-out", ctx.simd, "array-out"),
          arrayFloorRow(ctx.simd, w, op, false, row),
          ...(ctx.threads2 && op !== "infer" ? [ours(w, op, "simd-threads2", ctx.threads2, "tensor")] : []),
          ours(w, op, "scalar-tensor", ctx.scalar, "tensor"),
          row(w, op, "js-reference", "slow", (inputs) => prepareModule(make(w, inputs), createReferenceBackend(), w, inputs, op, "array")),
          ...extraRows(w, op, row),
        ]),
      ];
    },
  };
}

/** Layer norm's weight and bias on a workload: one per feature (the last axis). */
function layerNormParams(w: Workload, inputs: Inputs): [Float32Array, Float32Array] {
  const D = w.shape[w.shape.length - 1];
  return [params(inputs.weight, D, 0.5, 1.5), params(inputs.bias, D, -0.5, 0.5)];
}

/**
 * TF.js's own layerNormalization in training, measured here: 19 s a call at 64x197x768 on its
 * cpu backend and about 5 s per 197x768 sample on wasm (over 5 minutes a call), so its rows
 * beyond 8x197x768 are measured only with --all; ours run on every (batch, tokens, features)
 * workload.
 */
const STOCK_LAYER_MAX_ELEMENTS = 8 * 197 * 768;

const tokens = (batch: number) => ({ ...workload([batch, 197, 768], "NCHW"), label: `${batch}x197x768` });

export const layerNormFamily = normFamily(
  "LayerNorm", "layernorm",
  [workload([4096, 768], "NCHW"), tokens(8), tokens(64), workload([2048, 4096], "NCHW")],
  [workload([6, 8], "NCHW"), { ...workload([2, 3, 8], "NCHW"), label: "2x3x8" }],
  (w, inputs) => (backend) => {
    const [weight, bias] = layerNormParams(w, inputs);
    const m = new LayerNorm(weight.length, { backend, eps: inputs.eps });
    m.weight!.set(weight);
    m.bias!.set(bias);
    return m as NormModule;
  },
  (w, op, row) => (op !== "trainBackward" || w.shape.length !== 3 ? [] : LAYER_ROWS.map((r) => ({
    ...row(w, op, r.key, r.impl === "ours" ? "fast" : "slow", (inputs) =>
      prepareTfjsLayer(r.backend, r.impl, { kind: "layerNormalization", weights: layerNormParams(w, inputs) }, w, inputs, op)),
    ...(r.impl === "stock" && w.elements > STOCK_LAYER_MAX_ELEMENTS
      ? { allOnly: "not measured by default: TF.js's own layer norm takes 19 s to minutes per call here (pass --all)" }
      : {}),
  }))),
);

/** 32 groups, as in the issue. */
export const GROUPS = 32;

export const groupNormFamily = normFamily(
  "GroupNorm", "groupnorm",
  [
    { ...workload([32, 64, 56, 56], "NCHW"), label: `32x64x56x56 NCHW, ${GROUPS} groups` },
    { ...workload([32, 56, 56, 64], "NHWC"), label: `32x56x56x64 NHWC, ${GROUPS} groups` },
  ],
  [workload([2, 64, 3, 3], "NCHW"), workload([2, 3, 3, 64], "NHWC")],
  (w, inputs) => (backend) => {
    const C = channelsOf(w);
    const m = new GroupNorm(GROUPS, C, { backend, eps: inputs.eps, layout: w.layout });
    m.weight!.set(params(inputs.weight, C, 0.5, 1.5));
    m.bias!.set(params(inputs.bias, C, -0.5, 0.5));
    return m as NormModule;
  },
);

export const instanceNormFamily = normFamily(
  "InstanceNorm2d", "instancenorm",
  [workload([8, 64, 128, 128], "NCHW"), workload([8, 128, 128, 64], "NHWC")],
  [workload([2, 3, 4, 5], "NCHW"), workload([2, 4, 5, 3], "NHWC")],
  (w, inputs) => (backend) => new InstanceNorm2d(channelsOf(w), { backend, eps: inputs.eps, layout: w.layout }) as NormModule,
);
