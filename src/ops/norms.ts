// Layer norm and group norm (instance norm's own-statistics path is group norm with one
// channel per group) over a Workspace, shared by the modules and the functional API. The
// forward's per-row / per-group statistics stay in the workspace's block for the backward.

import type { GroupDims, Region } from "../runtime/backend.js";
import type { Block } from "../runtime/block.js";
import type { SavedStats } from "../runtime/checks.js";
import { FLAGS } from "../runtime/kernels.js";
import type { Tensor } from "../runtime/tensor.js";
import type { Gradients } from "./batchnorm.js";
import type { Input } from "./shapes.js";
import type { ForwardRequest, KeptInput, Workspace } from "./workspace.js";

/** Layer norm: R rows of L values. Group norm: (N, C, S) in G groups. */
export type Geometry =
  | { readonly op: "layer"; readonly R: number; readonly L: number }
  | { readonly op: "group"; readonly d: GroupDims };

/** The block of a call: K statistics (rows or (n, g) runs), P parameters, the backward's scratch. */
function blockOf(g: Geometry): readonly [number, number, number] {
  return g.op === "layer" ? [g.R, g.L, 24 * g.L] : [g.d.N * g.d.G, g.d.C, 16 * g.d.N * g.d.C];
}

/** What a backward needs of its forward; the statistics and the weight are in the block. */
export interface NormContext extends KeptInput {
  readonly geometry: Geometry;
  readonly hasWeight: boolean;
}

export interface NormForward extends ForwardRequest {
  readonly geometry: Geometry;
}

function runForward(ws: Workspace, g: Geometry, x: Region, y: Region, eps: number, flags: number, block: Block): void {
  if (g.op === "layer") ws.backend.layerNormForward({ x, y, R: g.R, L: g.L, flags, eps, block });
  else ws.backend.groupNormForward({ x, y, N: g.d.N, C: g.d.C, S: g.d.S, G: g.d.G, flags, eps, block });
}

/** The forward; the block keeps its statistics: mean, var (biased) and invstd of each row or run. */
export function normForward(ws: Workspace, f: NormForward): { y: Float32Array | Tensor; context: NormContext; stats: Block } {
  const call = ws.stage(f.where, { block: blockOf(f.geometry), inputs: [["x", f.x]], outputs: [["y", f.x]] });
  const b = call.block;
  if (f.weight) b.param("weight").set(f.weight);
  if (f.bias) b.param("bias").set(f.bias);
  runForward(ws, f.geometry, call.inputs[0], call.outputs[0], f.eps, (f.weight ? FLAGS.weight : 0) | (f.bias ? FLAGS.bias : 0), b);
  const context: NormContext = {
    x: f.x.tensor ? f.x : call.inputs[0], shape: f.x.shape, size: f.x.size, geometry: f.geometry, hasWeight: f.weight !== null,
  };
  return { y: call.result(0), context, stats: b };
}

/**
 * The context of a forward that was not run here (the functional backward): x staged, the
 * weight loaded, and the statistics given or recomputed from x and eps.
 */
export function normContext(
  ws: Workspace, where: string, x: Input, geometry: Geometry, weight: ArrayLike<number> | null, saved: SavedStats | null, eps: number,
): NormContext {
  const call = ws.stage(where, { block: blockOf(geometry), inputs: [["x", x]], work: saved ? [] : [["y", x.size * 4]] });
  const b = call.block;
  if (saved) {
    b.stat("mean").set(saved.mean);
    b.stat("invstd").set(saved.invstd);
  } else {
    runForward(ws, geometry, call.inputs[0], call.work[0], eps, 0, b);
  }
  if (weight) b.param("weight").set(weight);
  return { x: x.tensor ? x : call.inputs[0], shape: x.shape, size: x.size, geometry, hasWeight: weight !== null };
}

/**
 * Backward of `context`'s forward (its statistics and weight still in the block).
 * wantWeight / wantBias: whether dweight / dbias are computed (null otherwise).
 */
export function normBackward(
  ws: Workspace, where: string, context: NormContext, dy: Input, wantWeight: boolean, wantBias: boolean,
): Gradients<Float32Array | Tensor> {
  const g = context.geometry;
  const call = ws.stage(where, {
    block: blockOf(g), inputs: [["dy", dy], ["x", context.x, "x of the forward"]], outputs: [["dx", dy]],
  });
  const b = call.block;
  const flags = (context.hasWeight ? FLAGS.weight : 0) | (wantWeight ? FLAGS.dweight : 0) | (wantBias ? FLAGS.dbias : 0);
  const [dyR, xR] = call.inputs, dxR = call.outputs[0];
  if (g.op === "layer") ws.backend.layerNormBackward({ dy: dyR, x: xR, dx: dxR, R: g.R, L: g.L, flags, block: b });
  else ws.backend.groupNormBackward({ dy: dyR, x: xR, dx: dxR, N: g.d.N, C: g.d.C, S: g.d.S, G: g.d.G, flags, block: b });
  return {
    dx: call.result(0),
    dweight: wantWeight ? b.param("dweight").slice() : null,
    dbias: wantBias ? b.param("dbias").slice() : null,
  };
}
