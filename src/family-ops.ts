// The forward and backward of layer norm and group norm (instance norm is group norm with
// one channel per group) over a FamilyWorkspace, shared by the modules and the functional
// API: stage the inputs, run the backend, hand back arrays or tensors.

import { groupNormScratchBytes, layerNormScratchBytes, type GroupDims, type Region } from "./backend.js";
import type { Gradients } from "./batchnorm-ops.js";
import { loadInto, type FamilyWorkspace, type Need } from "./family-workspace.js";
import type { Input } from "./input.js";
import { wrapRegion, type Tensor } from "./tensor.js";

/** Layer norm: R rows of L values. Group norm: (N, C, S) in G groups. */
export type Geometry =
  | { readonly op: "layer"; readonly R: number; readonly L: number }
  | { readonly op: "group"; readonly d: GroupDims };

/** How many (mean, invstd) pairs the op has. */
export function statsCount(g: Geometry): number {
  return g.op === "layer" ? g.R : g.d.N * g.d.G;
}

/** Length of the weight / bias / dweight / dbias arrays. */
export function paramCount(g: Geometry): number {
  return g.op === "layer" ? g.L : g.d.C;
}

export interface FamilyForwardRequest {
  readonly where: string;
  readonly x: Input;
  readonly geometry: Geometry;
  readonly eps: number;
  readonly weight: ArrayLike<number> | null;
  readonly bias: ArrayLike<number> | null;
  /** Also keep the biased variance per run in the region "var" (instance norm's running statistics). */
  readonly variance?: boolean;
}

/** What a backward needs of its forward; the statistics stay in the workspace's "mean" / "invstd". */
export interface FamilyContext {
  readonly x: Region;
  readonly xTensor: Tensor | null;
  readonly shape: readonly number[];
  readonly size: number;
  readonly geometry: Geometry;
  /** The weight the forward used (a copy), so its backward is of that forward. */
  readonly weight: Float32Array | null;
}

/** The staging needs of an input: a copy in and a result out, or a fresh output region for a tensor. */
function staging(input: Input, inName: string, outName: string): { needs: Need[]; extra: number[] } {
  const bytes = input.size * 4;
  return input.tensor ? { needs: [], extra: [bytes] } : { needs: [[inName, bytes], [outName, bytes]], extra: [] };
}

export function runFamilyForward(ws: FamilyWorkspace, req: FamilyForwardRequest): { y: Float32Array | Tensor; context: FamilyContext } {
  const { x, geometry: g } = req;
  const rows = statsCount(g), P = paramCount(g);
  const stage = staging(x, "x", "y");
  const needs: Need[] = [
    ...stage.needs, ["mean", 8 * rows], ["invstd", 8 * rows], ["weight", 4 * P], ["bias", 4 * P],
    ...(req.variance ? [["var", 8 * rows] as const] : []),
  ];
  const { regions, fresh } = ws.prepare(needs, stage.extra);
  const xRegion = x.tensor ? x.tensor.regionFor(req.where) : regions[0];
  const yRegion = x.tensor ? fresh[0] : regions[1];
  if (x.array) xRegion.f32().set(x.array);
  const weight = loadInto(ws.get("weight"), req.weight);
  const bias = loadInto(ws.get("bias"), req.bias);
  const mean = ws.get("mean"), invstd = ws.get("invstd");
  if (g.op === "layer") {
    ws.backend.layerNormForward(xRegion, yRegion, g.R, g.L, req.eps, weight, bias, mean, invstd);
  } else {
    ws.backend.groupNormForward(xRegion, yRegion, g.d, req.eps, weight, bias, mean, invstd, req.variance ? ws.get("var") : null);
  }
  const y = x.tensor ? wrapRegion(ws.backend, x.shape, x.size, yRegion) : yRegion.f32().slice(0, x.size);
  const context = {
    x: xRegion, xTensor: x.tensor, shape: x.shape, size: x.size, geometry: g, weight: req.weight && Float32Array.from(req.weight),
  };
  return { y, context };
}

/**
 * Backward of `context`'s forward (its statistics still in "mean" / "invstd", its weight in
 * the context). wantWeight / wantBias: whether dweight / dbias are computed (null otherwise).
 */
export function runFamilyBackward(
  ws: FamilyWorkspace, where: string, context: FamilyContext, dy: Input, wantWeight: boolean, wantBias: boolean,
): Gradients<Float32Array | Tensor> {
  const g = context.geometry;
  const P = paramCount(g);
  const x = context.xTensor ? context.xTensor.regionFor(`${where} (x of the forward)`) : context.x;
  const stage = staging(dy, "dy", "dx");
  const scratchBytes = g.op === "layer" ? layerNormScratchBytes(g.L) : groupNormScratchBytes(g.d);
  const needs: Need[] = [...stage.needs, ["weight", 4 * P], ["dweight", 4 * P], ["dbias", 4 * P], ["scratch", scratchBytes]];
  const { regions, fresh } = ws.prepare(needs, stage.extra);
  const dyRegion = dy.tensor ? dy.tensor.regionFor(where) : regions[0];
  const dxRegion = dy.tensor ? fresh[0] : regions[1];
  if (dy.array) dyRegion.f32().set(dy.array);
  const w = loadInto(ws.get("weight"), context.weight);
  const dweight = wantWeight ? ws.get("dweight") : null;
  const dbias = wantBias ? ws.get("dbias") : null;
  const mean = ws.get("mean"), invstd = ws.get("invstd"), scratch = ws.get("scratch");
  if (g.op === "layer") {
    ws.backend.layerNormBackward(dyRegion, x, dxRegion, g.R, g.L, w, dweight, dbias, mean, invstd, scratch);
  } else {
    ws.backend.groupNormBackward(dyRegion, x, dxRegion, g.d, w, dweight, dbias, mean, invstd, scratch);
  }
  return {
    dx: dy.tensor ? wrapRegion(ws.backend, context.shape, context.size, dxRegion) : dxRegion.f32().slice(0, dy.size),
    dweight: dweight && dweight.f32().slice(0, P),
    dbias: dbias && dbias.f32().slice(0, P),
  };
}
