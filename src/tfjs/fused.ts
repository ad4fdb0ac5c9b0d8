// The layers' normalizations as TF.js ops: one fused forward on this package's kernels, and
// tf.customGrad giving TF.js's autodiff its one fused backward. Tensors cross between TF.js
// and the kernels as Float32Arrays (dataSync / tf.tensor: the backend's readSync / write),
// so this works on every TF.js backend; each direction runs in a workspace of its own,
// freed before it returns, so nothing is held in the kernels' memory between calls (a
// forward whose backward never comes, as in model.predict, leaks nothing).

import type { Dims, KernelBackend } from "../runtime/backend.js";
import type { RunningPair } from "../runtime/checks.js";
import { batchNormBackward, batchNormContext, batchNormForward } from "../ops/batchnorm.js";
import { normBackward, normContext, normForward, type Geometry } from "../ops/norms.js";
import type { Input } from "../ops/shapes.js";
import { withWorkspace } from "../ops/workspace.js";
import type { TfjsCoreLike, TfjsTensor } from "./types.js";

/** Gradients of x, the weight and the bias. */
interface Grads {
  dx: Float32Array;
  dweight: Float32Array;
  dbias: Float32Array;
}

/** y of one forward, and the backward of that forward. */
interface Fused {
  y: Float32Array;
  backward(dy: Float32Array): Grads;
}

/** A forward on the kernels: x, the weight and the bias as Float32Arrays (the layers always pass both). */
export type FusedForward = (x: Float32Array, weight: Float32Array, bias: Float32Array) => Fused;

const floats = (t: TfjsTensor): Float32Array => {
  const v = t.dataSync();
  return v instanceof Float32Array ? v : Float32Array.from(v);
};

const arrayInput = (array: Float32Array, shape: readonly number[]): Input => ({ shape, size: array.length, tensor: null, array });

/** The saved statistics of a forward's block, copied out before its workspace is freed. */
const saved = (block: { stat(name: "mean" | "invstd"): Float64Array }) =>
  ({ mean: block.stat("mean").slice(), invstd: block.stat("invstd").slice() });

/**
 * y = forward(x, weight, bias) as one TF.js op whose gradient (for x, weight and bias, in
 * their shapes) is the forward's fused backward.
 */
export function applyFused(tfc: TfjsCoreLike, forward: FusedForward, x: TfjsTensor, weight: TfjsTensor, bias: TfjsTensor): TfjsTensor {
  const op = tfc.customGrad(((xt: TfjsTensor, w: TfjsTensor, b: TfjsTensor) => {
    const fused = forward(floats(xt), floats(w), floats(b));
    return {
      value: tfc.tensor(fused.y, xt.shape, "float32"),
      gradFunc: (dy: TfjsTensor) => {
        const g = fused.backward(floats(dy));
        return [tfc.tensor(g.dx, xt.shape, "float32"), tfc.tensor(g.dweight, w.shape, "float32"), tfc.tensor(g.dbias, b.shape, "float32")];
      },
    };
  }) as never) as (...inputs: TfjsTensor[]) => TfjsTensor;
  return op(x, weight, bias);
}

/**
 * Batch norm of x seen as dims: with the batch statistics (frozen null), the running ones
 * updated in place by `update`; or with the frozen running statistics, the backward then
 * treating them as constants.
 */
export function batchNormFused(
  backend: KernelBackend, where: string, shape: readonly number[], dims: Dims, eps: number, frozen: RunningPair | null,
  update: { running: RunningPair; momentum: number; varFactor: number } | null,
): FusedForward {
  return (x, weight, bias) => {
    const xIn = arrayInput(x, shape);
    const { y, stats } = withWorkspace(backend, (ws) => {
      const r = batchNormForward(ws, { where, x: xIn, dims, eps, weight, bias, relu: false, frozen, update });
      return { y: r.y as Float32Array, stats: saved(r.stats) };
    });
    const backward = (dy: Float32Array) => withWorkspace(backend, (ws) => {
      const context = batchNormContext(ws, where, xIn, dims, frozen === null, false, stats, weight, bias);
      return batchNormBackward(ws, where, context, arrayInput(dy, shape), true) as Grads;
    });
    return { y, backward };
  };
}

/** Layer norm of x as R rows of L values. */
export function layerNormFused(backend: KernelBackend, where: string, shape: readonly number[], R: number, L: number, eps: number): FusedForward {
  const geometry: Geometry = { op: "layer", R, L };
  return (x, weight, bias) => {
    const xIn = arrayInput(x, shape);
    const { y, stats } = withWorkspace(backend, (ws) => {
      const r = normForward(ws, { where, x: xIn, geometry, eps, weight, bias });
      return { y: r.y as Float32Array, stats: saved(r.stats) };
    });
    const backward = (dy: Float32Array) => withWorkspace(backend, (ws) => {
      const context = normContext(ws, where, xIn, geometry, weight, stats, eps);
      return normBackward(ws, where, context, arrayInput(dy, shape), true, true) as Grads;
    });
    return { y, backward };
  };
}
