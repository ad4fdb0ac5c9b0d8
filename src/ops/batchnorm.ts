// Batch norm over a Workspace, shared by the modules, the functional API and instance
// norm's running-statistics path: stage the call, run the kernel, hand back arrays or
// tensors. The forward's statistics stay in the workspace's block for the backward.

import type { Dims } from "../runtime/backend.js";
import type { Block } from "../runtime/block.js";
import type { RunningPair, SavedStats } from "../runtime/checks.js";
import { FLAGS } from "../runtime/kernels.js";
import { slabCopy } from "../runtime/slab.js";
import type { Tensor } from "../runtime/tensor.js";
import { updateRunningStats } from "./running.js";
import type { Input, Out } from "./shapes.js";
import { OUT, type ForwardRequest, type Gradients, type KeptInput, type Workspace } from "./workspace.js";

export type { Gradients };

export interface BatchNormForward extends ForwardRequest {
  readonly dims: Dims;
  /** A ReLU fused after the normalization (batchNormRelu). */
  readonly relu: boolean;
  /** null: normalize with the batch statistics; else with these running statistics. */
  readonly frozen: RunningPair | null;
  /** With batch statistics: the running statistics to update, and the update's weight and variance factor. */
  readonly update: { readonly running: RunningPair; readonly momentum: number; readonly varFactor: number } | null;
}

/** What a backward needs of its forward; the statistics, weight and bias are in the block. */
export interface BatchNormContext extends KeptInput {
  readonly dims: Dims;
  /** Through the batch statistics (else with the running ones frozen). */
  readonly training: boolean;
  readonly relu: boolean;
  readonly hasWeight: boolean;
  readonly hasBias: boolean;
}

/** The block of a batch-norm call: K = P = C, scratch for interleaved statistics. */
const blockOf = (C: number) => [C, C, 20 * C] as const;

/**
 * Allocates a module's per-channel block at construction, so that a channel count the
 * memory cannot hold is refused by the constructor rather than by the first forward.
 */
export function reserveBatchNorm(ws: Workspace, where: string, C: number): void {
  ws.stage(where, { block: blockOf(C) });
}

function paramFlags(c: BatchNormContext): number {
  return (c.dims.channelsLast ? FLAGS.channelsLast : 0) | (c.relu ? FLAGS.relu : 0) |
    (c.hasWeight ? FLAGS.weight : 0) | (c.hasBias ? FLAGS.bias : 0);
}

/** y, its context, and the block with the statistics used (mean, var, invstd per channel). */
export function batchNormForward(
  ws: Workspace, f: BatchNormForward,
): { y: Float32Array | Tensor; context: BatchNormContext; stats: Block } {
  const d = f.dims;
  const call = ws.stage(f.where, { block: blockOf(d.C), inputs: [["x", f.x]], outputs: [[OUT, f.x, f.out]] });
  const b = call.block;
  if (f.weight) b.param("weight").set(f.weight);
  if (f.bias) b.param("bias").set(f.bias);
  const context: BatchNormContext = {
    x: f.x.tensor ? f.x : call.inputs[0], shape: f.x.shape, size: f.x.size, dims: d, training: f.frozen === null,
    relu: f.relu, hasWeight: f.weight !== null, hasBias: f.bias !== null,
  };
  const args = { x: call.inputs[0], y: call.outputs[0], N: d.N, C: d.C, S: d.S, flags: paramFlags(context), eps: f.eps, block: b };
  if (f.frozen) {
    b.param("runMean").set(f.frozen.mean);
    b.param("runVar").set(f.frozen.var);
    ws.backend.batchNormEvalForward(args);
  } else {
    ws.backend.batchNormTrainForward(args);
    if (f.update) updateRunningStats(f.update.running, b.stat("mean"), b.stat("var"), f.update.momentum, f.update.varFactor);
  }
  return { y: call.result(0), context, stats: b };
}

/**
 * The context of a forward that was not run here (the functional backward): x staged, and
 * the statistics and parameters the forward used loaded into the block.
 */
export function batchNormContext(
  ws: Workspace, where: string, x: Input, dims: Dims, training: boolean, relu: boolean, stats: SavedStats,
  weight: ArrayLike<number> | null, bias: ArrayLike<number> | null,
): BatchNormContext {
  const call = ws.stage(where, { block: blockOf(dims.C), inputs: [["x", x]] });
  const b = call.block;
  b.stat("mean").set(stats.mean);
  b.stat("invstd").set(stats.invstd);
  if (weight) b.param("weight").set(weight);
  if (bias) b.param("bias").set(bias);
  return {
    x: x.tensor ? x : call.inputs[0], shape: x.shape, size: x.size, dims, training, relu,
    hasWeight: weight !== null, hasBias: bias !== null,
  };
}

/** Backward of `context`'s forward, whose statistics and parameters the block still holds; dx goes to `dxOut` when given. */
export function batchNormBackward(
  ws: Workspace, where: string, context: BatchNormContext, dy: Input, paramGrads: boolean, dxOut: Out | null = null,
): Gradients<Float32Array | Tensor> {
  const d = context.dims;
  const call = ws.stage(where, {
    block: blockOf(d.C), inputs: [["dy", dy], ["x", context.x, "x of the forward"]], outputs: [[OUT, dy, dxOut]],
  });
  const b = call.block;
  const flags = paramFlags(context) | (context.training ? FLAGS.training : 0) |
    (paramGrads ? FLAGS.dweight | FLAGS.dbias : 0);
  ws.backend.batchNormBackward({
    dy: call.inputs[0], x: call.inputs[1], dx: call.outputs[0], N: d.N, C: d.C, S: d.S, flags, block: b,
  });
  const dx = call.result(0);
  if (!paramGrads) return { dx, dweight: null, dbias: null };
  return { dx, dweight: slabCopy(b.param("dweight")), dbias: slabCopy(b.param("dbias")) };
}
