// Layer norm, group norm (instance norm's own-statistics path is group norm with one
// channel per group) and the row norms (RMS norm, and layer or RMS norm of a residual add)
// over a Workspace, shared by the modules and the functional API. The forward's per-row /
// per-group statistics stay in the workspace's block for the backward.

import type { GroupDims, Region } from "../runtime/backend.js";
import type { Block } from "../runtime/block.js";
import { FLAGS } from "../runtime/kernels.js";
import type { Tensor } from "../runtime/tensor.js";
import type { Gradients } from "./batchnorm.js";
import type { Input, Out } from "./shapes.js";
import { OUT, type ForwardRequest, type KeptInput, type StagedInput, type Workspace } from "./workspace.js";

/**
 * Layer norm: R rows of L values. Group norm: (N, C, S) in G groups. Row norms: R rows of L
 * values, centered (layer norm, the residual-add ops' kernel) or not (RMS norm).
 */
export type Geometry =
  | { readonly op: "layer"; readonly R: number; readonly L: number }
  | { readonly op: "group"; readonly d: GroupDims }
  | { readonly op: "rows"; readonly R: number; readonly L: number; readonly centered: boolean };

/** The block of a call: K statistics (rows or (n, g) runs), P parameters, the kernels' scratch. */
function blockOf(g: Geometry): readonly [number, number, number] {
  if (g.op === "group") return [g.d.N * g.d.G, g.d.C, groupScratch(g.d.N, g.d.C)];
  return [g.R, g.L, (g.op === "layer" ? 24 : 36) * g.L];
}

/**
 * Group norm's scratch bytes (assembly/groupnorm.ts): the backward's two f64 sums per
 * (n, c); the channels-last forward's per-channel moments (2 * C f64) and column statistics
 * (stats.ts rowStats: 3 * C f32).
 */
export function groupScratch(N: number, C: number): number {
  return Math.max(16 * N * C, 28 * C);
}

/** The statistics a backward is given instead of recomputing them (RMS norm has no mean). */
export interface GivenStats {
  readonly mean?: ArrayLike<number> | null;
  readonly invstd: ArrayLike<number>;
}

/** What a backward needs of its forward; the statistics and the weight are in the block. */
export interface NormContext extends KeptInput {
  readonly geometry: Geometry;
  readonly hasWeight: boolean;
}

export interface NormForward extends ForwardRequest {
  readonly geometry: Geometry;
  /** Row norms only: normalize sum = x + residual (+ addBias, one value per element of a row), written out too. */
  readonly residual?: Input | null;
  readonly addBias?: ArrayLike<number> | null;
  /** The caller's array the sum is written to (the `outSum` option). */
  readonly outSum?: Out | null;
}

const groupArgs = (d: GroupDims) => ({ N: d.N, C: d.C, S: d.S, G: d.G });
const layoutFlag = (d: GroupDims) => (d.channelsLast ? FLAGS.channelsLast : 0);

/** The residual add of a row-norm forward: where the residual is and where its sum goes. */
type Add = { readonly residual: Region; readonly sum: Region } | null;

function runForward(ws: Workspace, g: Geometry, x: Region, add: Add, y: Region, eps: number, flags: number, block: Block): void {
  if (g.op === "layer") ws.backend.layerNormForward({ x, y, R: g.R, L: g.L, flags, eps, block });
  else if (g.op === "group") ws.backend.groupNormForward({ x, y, ...groupArgs(g.d), flags: flags | layoutFlag(g.d), eps, block });
  else {
    ws.backend.rowNormForward({
      x, residual: add && add.residual, sum: add && add.sum, y, R: g.R, L: g.L, flags: flags | (g.centered ? FLAGS.centered : 0), eps, block,
    });
  }
}

/**
 * The forward; the block keeps its statistics: mean, var (biased) and invstd of each row or
 * run (RMS norm: invstd only). sum: the residual add's sum, null without one.
 */
export function normForward(
  ws: Workspace, f: NormForward,
): { y: Float32Array | Tensor; sum: Float32Array | Tensor | null; context: NormContext; stats: Block } {
  const residual = f.residual ?? null, addBias = f.addBias ?? null;
  const call = ws.stage(f.where, {
    block: blockOf(f.geometry),
    inputs: residual ? [["x", f.x], ["residual", residual]] : [["x", f.x]],
    outputs: residual ? [[OUT, f.x, f.out], ["sum", f.x, f.outSum]] : [[OUT, f.x, f.out]],
  });
  const b = call.block;
  if (f.weight) b.param("weight").set(f.weight);
  if (f.bias) b.param("bias").set(f.bias);
  if (addBias) b.param("addBias").set(addBias);
  const flags = (f.weight ? FLAGS.weight : 0) | (f.bias ? FLAGS.bias : 0) | (addBias ? FLAGS.addBias : 0);
  const add = residual ? { residual: call.inputs[1], sum: call.outputs[1] } : null;
  runForward(ws, f.geometry, call.inputs[0], add, call.outputs[0], f.eps, flags, b);
  const context: NormContext = {
    x: f.x.tensor ? f.x : call.inputs[0], shape: f.x.shape, size: f.x.size, geometry: f.geometry, hasWeight: f.weight !== null,
  };
  return { y: call.result(0), sum: residual ? call.result(1) : null, context, stats: b };
}

/**
 * The context of a forward that was not run here (the functional backward): x staged, the
 * weight loaded, and the statistics given or recomputed from x and eps.
 */
export function normContext(
  ws: Workspace, where: string, x: Input, geometry: Geometry, weight: ArrayLike<number> | null, saved: GivenStats | null, eps: number,
): NormContext {
  const call = ws.stage(where, { block: blockOf(geometry), inputs: [["x", x]], work: saved ? [] : [[OUT, x.size * 4]] });
  const b = call.block;
  if (saved) {
    if (saved.mean) b.stat("mean").set(saved.mean);
    b.stat("invstd").set(saved.invstd);
  } else {
    runForward(ws, geometry, call.inputs[0], null, call.work[0], eps, 0, b);
  }
  if (weight) b.param("weight").set(weight);
  return { x: x.tensor ? x : call.inputs[0], shape: x.shape, size: x.size, geometry, hasWeight: weight !== null };
}

/** The backward of a residual add (row norms only): the gradient arriving at its sum, and whether daddBias is wanted. */
export interface AddBackward {
  readonly dsum: Input | null;
  readonly wantAddBias: boolean;
}

/**
 * Backward of `context`'s forward (its statistics and weight still in the block).
 * wantWeight / wantBias: whether dweight / dbias are computed (null otherwise); `add`: the
 * forward had a residual add (context.x is its sum), whose dsum joins dx; dx goes to
 * `dxOut` when given.
 */
export function normBackward(
  ws: Workspace, where: string, context: NormContext, dy: Input, wantWeight: boolean, wantBias: boolean, add: AddBackward | null = null,
  dxOut: Out | null = null,
): Gradients<Float32Array | Tensor> & { daddBias?: Float32Array | null } {
  const g = context.geometry;
  const dsum = add?.dsum ?? null;
  const inputs: StagedInput[] = [["dy", dy], ["x", context.x, "x of the forward"]];
  if (dsum) inputs.push(["dsum", dsum]);
  const call = ws.stage(where, { block: blockOf(g), inputs, outputs: [[OUT, dy, dxOut]] });
  const b = call.block;
  const wantAddBias = add?.wantAddBias ?? false;
  const flags = (context.hasWeight ? FLAGS.weight : 0) | (wantWeight ? FLAGS.dweight : 0) | (wantBias ? FLAGS.dbias : 0) |
    (wantAddBias ? FLAGS.daddBias : 0);
  const [dyR, xR] = call.inputs, dxR = call.outputs[0];
  if (g.op === "layer") ws.backend.layerNormBackward({ dy: dyR, x: xR, dx: dxR, R: g.R, L: g.L, flags, block: b });
  else if (g.op === "group") ws.backend.groupNormBackward({ dy: dyR, x: xR, dx: dxR, ...groupArgs(g.d), flags: flags | layoutFlag(g.d), block: b });
  else {
    ws.backend.rowNormBackward({
      dy: dyR, x: xR, dsum: dsum ? call.inputs[2] : null, dx: dxR, R: g.R, L: g.L, flags: flags | (g.centered ? FLAGS.centered : 0), block: b,
    });
  }
  return {
    dx: call.result(0),
    dweight: wantWeight ? b.param("dweight").slice() : null,
    dbias: wantBias ? b.param("dbias").slice() : null,
    ...(add ? { daddBias: wantAddBias ? b.param("daddBias").slice() : null } : {}),
  };
}
