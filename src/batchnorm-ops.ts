// The forward and backward of batch norm over a Workspace, shared by the modules and the
// functional API: stage the inputs, run the backend, hand back arrays or tensors.

import type { Dims, Region } from "./backend.js";
import type { Input } from "./input.js";
import { slabCopy } from "./slab.js";
import { wrapRegion, type Tensor } from "./tensor.js";
import type { Workspace } from "./workspace.js";

export interface RunningStats {
  readonly mean: Float32Array;
  readonly var: Float32Array;
  /** Weight of the batch statistics in the update. */
  readonly momentum: number;
  /** Multiplies the biased batch variance before the update (n / (n - 1) for PyTorch). */
  readonly varFactor: number;
}

export interface ForwardRequest {
  readonly where: string;
  readonly x: Input;
  readonly dims: Dims;
  readonly eps: number;
  /** true: normalize with the batch statistics; false: with `running`. */
  readonly batchStats: boolean;
  readonly weight: ArrayLike<number> | null;
  readonly bias: ArrayLike<number> | null;
  /** Running statistics: updated when batchStats, used when not. */
  readonly running: RunningStats | null;
  /** A ReLU fused after the normalization (batchNormRelu). */
  readonly relu: boolean;
}

/** What a backward needs of its forward. */
export interface ForwardContext {
  readonly x: Region;
  readonly xTensor: Tensor | null;
  readonly shape: readonly number[];
  readonly size: number;
  readonly dims: Dims;
  readonly batchStats: boolean;
  /** The weight and bias the forward used (copies), so its backward is of that forward. */
  readonly weight: Float32Array | null;
  readonly bias: Float32Array | null;
  readonly relu: boolean;
}

function loaded(region: Region, values: ArrayLike<number> | null): Region | null {
  if (values === null) return null;
  region.f32().set(values);
  return region;
}

function snapshot(values: ArrayLike<number> | null): Float32Array | null {
  return values === null ? null : slabCopy(values);
}

export function runForward(ws: Workspace, req: ForwardRequest): { y: Float32Array | Tensor; context: ForwardContext } {
  const { x, dims: d, running } = req;
  const bytes = x.size * 4;
  const { staged, fresh } = ws.prepare(x.tensor ? [] : [["x", bytes], ["y", bytes]], x.tensor ? [bytes] : []);
  const xRegion = x.tensor ? x.tensor.regionFor(req.where) : staged[0];
  const yRegion = x.tensor ? fresh[0] : staged[1];
  if (x.array) xRegion.f32().set(x.array);
  const backend = ws.backend;
  const weight = loaded(ws.weight, req.weight);
  const bias = loaded(ws.bias, req.bias);
  if (req.batchStats) {
    backend.trainForward(xRegion, yRegion, d, req.eps, weight, bias, ws.ch, req.relu);
    if (running) {
      ws.runMean.f32().set(running.mean);
      ws.runVar.f32().set(running.var);
      backend.updateRunningStats(d.C, ws.runMean, ws.runVar, ws.ch, running.momentum, running.varFactor);
      running.mean.set(ws.runMean.f32().subarray(0, d.C));
      running.var.set(ws.runVar.f32().subarray(0, d.C));
    }
  } else {
    const runMean = loaded(ws.runMean, running!.mean)!;
    const runVar = loaded(ws.runVar, running!.var)!;
    backend.evalForward(xRegion, yRegion, d, req.eps, weight, bias, runMean, runVar, ws.ch, req.relu);
  }
  const y = x.tensor ? wrapRegion(backend, x.shape, x.size, yRegion) : yRegion.f32().slice(0, x.size);
  const context: ForwardContext = {
    x: xRegion, xTensor: x.tensor, shape: x.shape, size: x.size, dims: d, batchStats: req.batchStats,
    weight: snapshot(req.weight), bias: req.relu ? snapshot(req.bias) : null, relu: req.relu,
  };
  return { y, context };
}

export interface Gradients<T> {
  dx: T;
  /** null when the op has no weight (affine: false). */
  dweight: Float32Array | null;
  dbias: Float32Array | null;
}

/** Backward of `context`'s forward; ws.ch must still hold that forward's mean / invstd. */
export function runBackward(
  ws: Workspace, where: string, context: ForwardContext, dy: Input, paramGrads: boolean,
): Gradients<Float32Array | Tensor> {
  const bytes = dy.size * 4;
  const x = context.xTensor ? context.xTensor.regionFor(where, "x of the forward") : context.x;
  const { staged, fresh } = ws.prepare(dy.tensor ? [] : [["dy", bytes], ["dx", bytes]], dy.tensor ? [bytes] : []);
  const dyRegion = dy.tensor ? dy.tensor.regionFor(where) : staged[0];
  const dxRegion = dy.tensor ? fresh[0] : staged[1];
  if (dy.array) dyRegion.f32().set(dy.array);
  const C = context.dims.C;
  ws.backend.backward(
    dyRegion, x, dxRegion, context.dims, context.batchStats, loaded(ws.weight, context.weight),
    paramGrads ? ws.dweight : null, paramGrads ? ws.dbias : null, ws.ch,
    context.relu ? { bias: loaded(ws.bias, context.bias) } : null,
  );
  const dx = dy.tensor ? wrapRegion(ws.backend, context.shape, context.size, dxRegion) : dxRegion.f32().slice(0, dy.size);
  if (!paramGrads) return { dx, dweight: null, dbias: null };
  return { dx, dweight: slabCopy(ws.dweight.f32().subarray(0, C)), dbias: slabCopy(ws.dbias.f32().subarray(0, C)) };
}
