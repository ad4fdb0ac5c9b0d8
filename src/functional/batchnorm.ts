// The functional API, after ATen: batchNorm is native_batch_norm (output plus the saved
// statistics) and batchNormBackward is native_batch_norm_backward; batchNormRelu and its
// backward are the same with a ReLU fused after the normalization. Each call works in a
// workspace of its own, freed before it returns.

import type { Backend, Layout } from "../runtime/backend.js";
import {
  checkArray, checkBoolean, checkEps, checkMomentum, checkOptionKeys, fail, optionalArray, runningPair,
} from "../runtime/checks.js";
import { backendOption } from "../runtime/default-backend.js";
import type { Gradients, Tensor } from "../runtime/tensor.js";
import { batchNormBackward as backwardOp, batchNormContext, batchNormForward } from "../ops/batchnorm.js";
import { CONVENTIONS, checkConvention, invstdOf, runningUpdate, type Convention } from "../ops/running.js";
import { batchDims, checkBatchCount, checkLayout, resolveInput, resolveOut } from "../ops/shapes.js";
import { withWorkspace } from "../ops/workspace.js";

interface CommonOptions {
  weight?: ArrayLike<number> | null;
  /** Running statistics (Float32Array of C): updated in place by a training call, used by an eval call. */
  runningMean?: Float32Array | null;
  runningVar?: Float32Array | null;
  /** Batch statistics (true) or running statistics (false, the default as in F.batch_norm). */
  training?: boolean;
  eps?: number;
  layout?: Layout;
  backend?: Backend;
  /** Whose running-statistics rules and defaults: "pytorch" (default), "keras" or "onnx" (see BatchNormOptions). */
  convention?: Convention;
}

export interface BatchNormFunctionalOptions extends CommonOptions {
  bias?: ArrayLike<number> | null;
  /** A Float32Array of x's size that y is written into (and returned as y); a view of the backend's memory is written in place. */
  out?: Float32Array | null;
  /** Weight of the batch statistics in the running update (default 0.1); the decay with "keras" / "onnx". */
  momentum?: number;
}

export interface BatchNormBackwardOptions extends CommonOptions {
  /** A Float32Array of dy's size that dx is written into (and returned as dx). */
  dx?: Float32Array | null;
  /** The forward's saveMean / saveInvstd (required with training: true). */
  saveMean?: Float64Array | Float32Array | null;
  saveInvstd?: Float64Array | Float32Array | null;
}

export interface BatchNormReluBackwardOptions extends BatchNormBackwardOptions {
  /** The forward's bias: with the weight and statistics it gives back the ReLU's mask. */
  bias?: ArrayLike<number> | null;
}

export interface BatchNormResult<T> {
  y: T;
  /** Mean per channel in float64: the batch mean (training) or the running mean used (eval). */
  saveMean: Float64Array;
  /** 1 / sqrt(var + eps) per channel in float64, of the statistics used. */
  saveInvstd: Float64Array;
}

const FORWARD_KEYS = ["weight", "bias", "runningMean", "runningVar", "training", "momentum", "eps", "layout", "backend", "convention", "out"];
const BACKWARD_KEYS = ["weight", "runningMean", "runningVar", "saveMean", "saveInvstd", "training", "eps", "layout", "backend", "convention", "dx"];
const RELU_BACKWARD_KEYS = [...BACKWARD_KEYS, "bias"];

/** batchNorm's and batchNormRelu's overloads: y of x's kind, or `out`. */
export interface BatchNormCall {
  (x: Float32Array, shape: readonly number[], options?: BatchNormFunctionalOptions): BatchNormResult<Float32Array>;
  (x: Tensor, shape?: readonly number[] | null, options?: BatchNormFunctionalOptions & { out?: null }): BatchNormResult<Tensor>;
}

/** batchNormBackward's and batchNormReluBackward's overloads: dx of dy's kind, or the `dx` option. */
export interface BatchNormBackwardCall<O> {
  (dy: Float32Array, x: Float32Array | Tensor, shape: readonly number[], options?: O): Gradients<Float32Array>;
  (dy: Tensor, x: Float32Array | Tensor, shape?: readonly number[] | null, options?: O & { dx?: null }): Gradients<Tensor>;
}

/**
 * y = (x - mean) / sqrt(var + eps) * weight + bias per channel of an (N, C, *) tensor
 * (NHWC: (N, *, C)), with the batch statistics (training: true; running statistics, if
 * given, are updated) or the running ones.
 */
export const batchNorm = ((x, shape, options = {}) => normalize("batchNorm", x, shape, options, false)) as BatchNormCall;

/** batchNorm followed by a ReLU, in one pass: y = max(batchNorm(x).y, 0). */
export const batchNormRelu = ((x, shape, options = {}) => normalize("batchNormRelu", x, shape, options, true)) as BatchNormCall;

/**
 * Gradients of batchNorm: dx (the kind of dy), dweight = sum(dy * xhat), dbias = sum(dy).
 * training: true differentiates through the batch statistics (needs saveMean and
 * saveInvstd from the forward); false treats the running statistics as constants.
 */
export const batchNormBackward = ((dy, x, shape, options = {}) =>
  differentiate("batchNormBackward", dy, x, shape, options, false)) as BatchNormBackwardCall<BatchNormBackwardOptions>;

/**
 * Gradients of batchNormRelu: batchNormBackward of dy masked where the forward's output was
 * not positive. The mask is recomputed from x with the forward's weight, bias and
 * statistics (pass the same ones), so y is not needed.
 */
export const batchNormReluBackward = ((dy, x, shape, options = {}) =>
  differentiate("batchNormReluBackward", dy, x, shape, options, true)) as BatchNormBackwardCall<BatchNormReluBackwardOptions>;

/** The checks both directions share. */
function setup(where: string, keys: readonly string[], options: CommonOptions, x: unknown, shape: unknown) {
  checkOptionKeys(where, options, keys);
  const backend = backendOption(where, options.backend);
  const layout = checkLayout(where, options.layout ?? "NCHW");
  const training = checkBoolean(where, "training", options.training ?? false);
  const convention = checkConvention(where, options.convention ?? "pytorch");
  const eps = checkEps(where, options.eps ?? CONVENTIONS[convention].eps);
  const input = resolveInput(where, "x", x, shape, backend);
  const d = batchDims(where, input.shape, layout);
  return { backend, training, convention, eps, input, d, weight: optionalArray(where, "weight", options.weight, d.C) };
}

function normalize(
  where: string, x: unknown, shape: unknown, options: BatchNormFunctionalOptions, relu: boolean,
): BatchNormResult<Float32Array | Tensor> {
  const { backend, training, convention, eps, input, d, weight } = setup(where, FORWARD_KEYS, options, x, shape);
  // null (a cumulative average) needs a module's batch count: refused here, not read as the default.
  const momentum = checkMomentum(where, options.momentum === undefined ? CONVENTIONS[convention].momentum : options.momentum, false)!;
  const bias = optionalArray(where, "bias", options.bias, d.C);
  const running = runningPair(where, options.runningMean, options.runningVar, d.C, training ? null : "training is false");
  if (training) checkBatchCount(where, d, input.shape, "when training");
  const out = resolveOut(where, "out", options.out, input, "x", backend);
  const update = runningUpdate(convention, momentum, 0, d.N * d.S);
  return withWorkspace(backend, (ws) => {
    const { y, stats } = batchNormForward(ws, {
      where, x: input, dims: d, eps, weight, bias, relu, out,
      frozen: training ? null : running, update: training && running ? { running, ...update } : null,
    });
    return { y, saveMean: stats.stat("mean").slice(), saveInvstd: stats.stat("invstd").slice() };
  });
}

function differentiate(
  where: string, dy: unknown, x: unknown, shape: unknown, options: BatchNormReluBackwardOptions, relu: boolean,
): Gradients<Float32Array | Tensor> {
  const { backend, training, eps, input: xIn, d, weight } = setup(where, relu ? RELU_BACKWARD_KEYS : BACKWARD_KEYS, options, x, shape);
  const dyIn = resolveInput(where, "dy", dy, xIn.shape, backend);
  const bias = relu ? optionalArray(where, "bias", options.bias, d.C) : null;
  let stats: { mean: ArrayLike<number>; invstd: ArrayLike<number> };
  if (training) {
    if (options.saveMean == null || options.saveInvstd == null) {
      fail(where, "saveMean and saveInvstd (from batchNorm) are required when training is true");
    }
    stats = { mean: checkArray(where, "saveMean", options.saveMean, d.C), invstd: checkArray(where, "saveInvstd", options.saveInvstd, d.C) };
  } else {
    const pair = runningPair(where, options.runningMean, options.runningVar, d.C, "training is false")!;
    stats = { mean: pair.mean, invstd: invstdOf(pair.var, eps) };
  }
  const dx = resolveOut(where, "dx", options.dx, dyIn, "dy", backend);
  return withWorkspace(backend, (ws) => {
    const context = batchNormContext(ws, where, xIn, d, training, relu, stats, weight, bias);
    return backwardOp(ws, where, context, dyIn, true, dx);
  });
}
