// The layers' normalizations as TF.js ops: one fused forward on this package's kernels, and
// tf.customGrad giving TF.js's autodiff its one fused backward. Tensors cross between TF.js
// and the kernels through the backend's public readSync / write, so this works on every
// TF.js backend: inputs are read straight into tensors of the kernels' memory (read.ts),
// and outputs come back as views of it. Large fresh arrays are the expensive part (a fresh
// page costs a fault), so an output is copied into a fresh array only for a TF.js backend
// that keeps the array it is given (cpu); one whose write copies at once (wasm) reads the
// view. Nothing is held in the kernels' memory between calls: the forward saves x as a
// TF.js tensor for the backward (customGrad's save), which reads it in again.

import type { Dims, KernelBackend } from "../runtime/backend.js";
import type { RunningPair } from "../runtime/checks.js";
import { batchNormBackward, batchNormContext, batchNormForward } from "../ops/batchnorm.js";
import { normBackward, normContext, normForward, type Geometry } from "../ops/norms.js";
import type { Input } from "../ops/shapes.js";
import { withWorkspace } from "../ops/workspace.js";
import { wrapRegion, type Tensor } from "../runtime/tensor.js";
import { readInto } from "./read.js";
import type { TfjsCoreLike, TfjsTensor } from "./types.js";

/** Gradients of x (a tensor of the kernels' memory), the weight and the bias. */
interface Grads {
  dx: Tensor;
  dweight: Float32Array;
  dbias: Float32Array;
}

/** Writes a TF.js tensor's values into an array of the kernels' memory (its whole length). */
export type Source = (into: Float32Array) => void;

/** y of one forward (a tensor of the kernels' memory), and the backward of that forward, given its x again. */
interface Fused {
  y: Tensor;
  backward(x: Source, dy: Source): Grads;
}

/** TF.js backends whose write copies the values into their own memory at once (tfjs-backend-wasm: malloc and set). */
const COPYING_BACKENDS = ["wasm"];

/** A forward on the kernels: x, and the weight and the bias as Float32Arrays (the layers always pass both). */
export type FusedForward = (x: Source, weight: Float32Array, bias: Float32Array) => Fused;

const floats = (t: TfjsTensor): Float32Array => {
  const v = t.dataSync();
  return v instanceof Float32Array ? v : Float32Array.from(v);
};

/** `run` on tensors of the kernels' memory filled from `sources`, freed after it. */
function staged<T>(backend: KernelBackend, shape: readonly number[], sources: Source[], run: (...inputs: Input[]) => T): T {
  const size = shape.reduce((a, b) => a * b, 1);
  const made: Tensor[] = [];
  try {
    for (const _ of sources) made.push(wrapRegion(backend, shape, size, backend.alloc(size * 4)));
    // Filled once all are allocated: an allocation that grows the memory detaches earlier views.
    sources.forEach((source, i) => source(made[i].data));
    return run(...made.map((t): Input => ({ shape, size, tensor: t, array: null })));
  } finally {
    for (const t of made) t.dispose();
  }
}

/** The saved statistics of a forward's block, copied out before its workspace is freed. */
const saved = (block: { stat(name: "mean" | "invstd"): Float64Array }) =>
  ({ mean: block.stat("mean").slice(), invstd: block.stat("invstd").slice() });

/**
 * y = forward(x, weight, bias) as one TF.js op whose gradient (for x, weight and bias, in
 * their shapes) is the forward's fused backward.
 */
export function applyFused(tfc: TfjsCoreLike, forward: FusedForward, x: TfjsTensor, weight: TfjsTensor, bias: TfjsTensor): TfjsTensor {
  const copies = COPYING_BACKENDS.includes(tfc.getBackend());
  /** A TF.js tensor of ours's values; ours is freed. */
  const handOut = (ours: Tensor, shape: number[]) => {
    try {
      return tfc.tensor(copies ? ours.data : ours.data.slice(), shape, "float32");
    } finally {
      ours.dispose();
    }
  };
  const source = (t: TfjsTensor): Source => (into) => readInto(tfc.backend(), t.dataId, into);
  const op = tfc.customGrad(((xt: TfjsTensor, w: TfjsTensor, b: TfjsTensor, save: (tensors: TfjsTensor[]) => void) => {
    const fused = forward(source(xt), floats(w), floats(b));
    save([xt]);
    return {
      value: handOut(fused.y, xt.shape),
      gradFunc: (dy: TfjsTensor, [xSaved]: TfjsTensor[]) => {
        const g = fused.backward(source(xSaved), source(dy));
        return [handOut(g.dx, xt.shape), tfc.tensor(g.dweight, w.shape, "float32"), tfc.tensor(g.dbias, b.shape, "float32")];
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
    const { y, stats } = staged(backend, shape, [x], (xIn) => withWorkspace(backend, (ws) => {
      const r = batchNormForward(ws, { where, x: xIn, dims, eps, weight, bias, relu: false, frozen, update });
      return { y: r.y as Tensor, stats: saved(r.stats) };
    }));
    const backward = (xAgain: Source, dy: Source) => staged(backend, shape, [xAgain, dy], (xIn, dyIn) => withWorkspace(backend, (ws) => {
      const context = batchNormContext(ws, where, xIn, dims, frozen === null, false, stats, weight, bias);
      return batchNormBackward(ws, where, context, dyIn, true) as Grads;
    }));
    return { y, backward };
  };
}

/** Layer norm of x as R rows of L values. */
export function layerNormFused(backend: KernelBackend, where: string, shape: readonly number[], R: number, L: number, eps: number): FusedForward {
  const geometry: Geometry = { op: "layer", R, L };
  return (x, weight, bias) => {
    const { y, stats } = staged(backend, shape, [x], (xIn) => withWorkspace(backend, (ws) => {
      const r = normForward(ws, { where, x: xIn, geometry, eps, weight, bias });
      return { y: r.y as Tensor, stats: saved(r.stats) };
    }));
    const backward = (xAgain: Source, dy: Source) => staged(backend, shape, [xAgain, dy], (xIn, dyIn) => withWorkspace(backend, (ws) => {
      const context = normContext(ws, where, xIn, geometry, weight, stats, eps);
      return normBackward(ws, where, context, dyIn, true, true) as Grads;
    }));
    return { y, backward };
  };
}
