// BatchNorm1d / BatchNorm2d rows: every implementation of IMPLEMENTATIONS on each workload
// and op. The floor is the first row of each workload.
import { BatchNorm1d, BatchNorm2d, type Activation } from "../../src/modules/batchnorm.js";
import type { Backend } from "../../src/runtime/backend.js";
import { createReferenceBackend } from "../../src/reference/backend.js";
import { OP_NAMES, rowId, type Case, type OpName, type Pace, type Prepared, type Workload } from "../case.js";
import { inputsFor, type Inputs } from "../data.js";
import { arrayFloorRow } from "../runners/array-floor.js";
import { prepareCopyFloor } from "../runners/copy-floor.js";
import { prepareModule, type Io, type NormModule } from "../runners/module.js";
import { prepareNaiveJs } from "../runners/naive-js.js";
import { prepareTfjs } from "../runners/tfjs.js";
import { prepareTfjsAdapter } from "../runners/tfjs-adapter.js";
import { LAYER_ROWS, prepareTfjsLayer } from "../runners/tfjs-layers.js";
import { prepareRelu } from "../runners/relu.js";
import { prepareSyncWorkers } from "../runners/sync-workers.js";
import { channelsOf, DESIGN_WORKLOADS, workload } from "../workloads.js";
import type { BenchContext, Family } from "./family.js";

const FAMILY = "BatchNorm";
/** tf.layers.batchNormalization rows up to the 32x56x56x64 (TF.js cpu takes tens of seconds a call beyond). */
const LAYER_MAX_ELEMENTS = 32 * 56 * 56 * 64;

/** A BatchNorm1d (2-D input) or BatchNorm2d with the workload's parameters and running statistics. */
export function batchNormModule(w: Workload, inputs: Inputs, activation: Activation = "none") {
  return (backend: Backend): NormModule => {
    const C = channelsOf(w);
    const options = { backend, layout: w.layout, eps: inputs.eps, activation };
    const bn = w.shape.length === 2 ? new BatchNorm1d(C, options) : new BatchNorm2d(C, options);
    bn.weight!.set(inputs.weight);
    bn.bias!.set(inputs.bias);
    bn.runningMean!.set(inputs.runningMean);
    bn.runningVar!.set(inputs.runningVar);
    return bn as NormModule;
  };
}

function make(w: Workload, op: OpName | "copy", impl: string, pace: Pace, prepare: (inputs: Inputs) => Prepared | Promise<Prepared>): Case {
  return { id: rowId(FAMILY, w, op, impl), family: FAMILY, workload: w, op, impl, pace, prepare: () => prepare(inputsFor(w)) };
}

function opCases(w: Workload, op: OpName, ctx: BenchContext): Case[] {
  const ours = (impl: string, backend: Backend, io: Io) =>
    make(w, op, impl, "fast", (inputs) => prepareModule(batchNormModule(w, inputs), backend, w, inputs, op, io));
  const cases = [
    ours("simd-tensor", ctx.simd, "tensor"),
    ours("simd-array", ctx.simd, "array"),
    arrayFloorRow(ctx.simd, w, op, true, make),
    ours("simd-array-out", ctx.simd, "array-out"),
    arrayFloorRow(ctx.simd, w, op, false, make),
    ...(ctx.threads2 ? [ours("simd-threads2", ctx.threads2, "tensor")] : []),
    ours("scalar-tensor", ctx.scalar, "tensor"),
    ours("scalar-array", ctx.scalar, "array"),
  ];
  if (ctx.overheadLabels.includes(w.label)) cases.push(ours("simd-wrapper", ctx.wrapperOnly, "tensor"));
  cases.push(
    make(w, op, "js-reference", "slow", (inputs) => prepareModule(batchNormModule(w, inputs), createReferenceBackend(), w, inputs, op, "array")),
    make(w, op, "js-naive", "slow", (inputs) => prepareNaiveJs(w, inputs, op)),
    make(w, op, "tfjs-wasm", "slow", (inputs) => prepareTfjs("wasm", w, inputs, op)),
    make(w, op, "tfjs-cpu", "slow", (inputs) => prepareTfjs("cpu", w, inputs, op)),
  );
  // Issue 8's rows: tf.batchNorm with the TF.js adapter (a plain tf.batchNorm call only for
  // inference on channels-last workloads), SyncBatchNorm on 2 workers (training ops), and
  // the fused ReLU against batch norm followed by a separate ReLU pass in wasm.
  if (op === "infer" && (w.layout === "NHWC" || w.shape.length === 2)) {
    cases.push(
      make(w, op, "tfjs-cpu-adapter", "slow", (inputs) => prepareTfjsAdapter("cpu", w, inputs, op)),
      make(w, op, "tfjs-wasm-adapter", "slow", (inputs) => prepareTfjsAdapter("wasm", w, inputs, op)),
    );
  }
  // Issue 16's rows: tf.layers.batchNormalization in training, TF.js's and createTfjsLayers'.
  if (op === "trainBackward" && w.layout === "NHWC" && w.elements <= LAYER_MAX_ELEMENTS) {
    for (const r of LAYER_ROWS) {
      cases.push(make(w, op, r.key, r.impl === "ours" ? "fast" : "slow", (inputs) => prepareTfjsLayer(r.backend, r.impl,
        { kind: "batchNormalization", weights: [inputs.weight, inputs.bias, inputs.runningMean, inputs.runningVar] }, w, inputs, op)));
    }
  }
  if (op !== "infer") cases.push(make(w, op, "sync2-simd", "fast", (inputs) => prepareSyncWorkers(2, w, inputs, op)));
  for (const fused of [true, false]) {
    cases.push(make(w, op, fused ? "simd-relu-fused" : "simd-relu-pass", "fast",
      (inputs) => prepareRelu(batchNormModule(w, inputs, fused ? "relu" : "none"), ctx.simd, w, inputs, op, fused)));
  }
  return cases;
}

export const batchNormFamily: Family = {
  name: FAMILY,
  workloads: DESIGN_WORKLOADS,
  testWorkloads: [workload([2, 3, 4, 5], "NCHW"), workload([2, 4, 5, 3], "NHWC"), workload([6, 4], "NCHW")],
  torchName: "batchnorm",
  cases(w, ctx) {
    const floor = make(w, "copy", "copy", "fast", (inputs) => prepareCopyFloor(w, inputs));
    return [floor, ...OP_NAMES.flatMap((op) => opCases(w, op, ctx))];
  },
};
