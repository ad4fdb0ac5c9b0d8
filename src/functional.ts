// The functional API, after ATen: batchNorm is native_batch_norm (output plus the saved
// statistics) and batchNormBackward is native_batch_norm_backward; batchNormRelu and its
// backward are the same with a ReLU fused after the normalization. Each call works in a
// workspace of its own, freed before it returns.

import type { Backend, Layout } from "./backend.js";
import {
  checkBoolean, checkChannelArray, checkEps, checkLayout, checkMomentum, checkOptionKeys, describe, dimsOf, fail,
} from "./checks.js";
import { getDefaultBackend, isBackend } from "./default-backend.js";
import { resolveInput, type Input } from "./input.js";
import { runBackward, runForward, type ForwardContext, type Gradients } from "./batchnorm-ops.js";
import type { Tensor } from "./tensor.js";
import { Workspace } from "./workspace.js";

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
}

export interface BatchNormFunctionalOptions extends CommonOptions {
  bias?: ArrayLike<number> | null;
  /** Weight of the batch statistics in the running update (default 0.1). */
  momentum?: number;
}

export interface BatchNormBackwardOptions extends CommonOptions {
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

const FORWARD_KEYS = ["weight", "bias", "runningMean", "runningVar", "training", "momentum", "eps", "layout", "backend"];
const BACKWARD_KEYS = ["weight", "runningMean", "runningVar", "saveMean", "saveInvstd", "training", "eps", "layout", "backend"];
const RELU_BACKWARD_KEYS = [...BACKWARD_KEYS, "bias"];

function backendOf(where: string, backend: unknown): Backend {
  const b = backend ?? getDefaultBackend();
  if (!isBackend(b)) fail(where, "backend must come from createBackend() or createReferenceBackend()");
  return b;
}

function inputDims(where: string, input: Input, layout: Layout) {
  if (input.shape.length < 2) fail(where, `x must have at least 2 dimensions (N, C, ...), got shape ${describe(input.shape)}`);
  return dimsOf(input.shape, layout);
}

function optionalChannels(where: string, name: string, value: unknown, C: number): ArrayLike<number> | null {
  return value === undefined || value === null ? null : checkChannelArray(where, name, value, C);
}

function runningPair(where: string, options: CommonOptions, C: number, required: boolean) {
  const { runningMean: mean, runningVar: variance } = options;
  const none = (v: unknown) => v === undefined || v === null;
  if (none(mean) && none(variance)) {
    if (required) fail(where, "runningMean and runningVar are required when training is false");
    return null;
  }
  for (const [name, v] of [["runningMean", mean], ["runningVar", variance]] as const) {
    if (!(v instanceof Float32Array)) fail(where, `${name} must be a Float32Array of length ${C}, got ${describe(v)}`);
    checkChannelArray(where, name, v, C);
  }
  return { mean: mean!, var: variance! };
}

/**
 * y = (x - mean) / sqrt(var + eps) * weight + bias per channel of an (N, C, *) tensor
 * (NHWC: (N, *, C)), with the batch statistics (training: true; running statistics, if
 * given, are updated) or the running ones.
 */
export function batchNorm(x: Float32Array, shape: readonly number[], options?: BatchNormFunctionalOptions): BatchNormResult<Float32Array>;
export function batchNorm(x: Tensor, shape?: readonly number[] | null, options?: BatchNormFunctionalOptions): BatchNormResult<Tensor>;
export function batchNorm(
  x: Float32Array | Tensor, shape?: readonly number[] | null, options: BatchNormFunctionalOptions = {},
): BatchNormResult<Float32Array | Tensor> {
  return normalize("batchNorm", x, shape, options, false);
}

/** batchNorm followed by a ReLU, in one pass: y = max(batchNorm(x).y, 0). */
export function batchNormRelu(x: Float32Array, shape: readonly number[], options?: BatchNormFunctionalOptions): BatchNormResult<Float32Array>;
export function batchNormRelu(x: Tensor, shape?: readonly number[] | null, options?: BatchNormFunctionalOptions): BatchNormResult<Tensor>;
export function batchNormRelu(
  x: Float32Array | Tensor, shape?: readonly number[] | null, options: BatchNormFunctionalOptions = {},
): BatchNormResult<Float32Array | Tensor> {
  return normalize("batchNormRelu", x, shape, options, true);
}

function normalize(
  where: string, x: Float32Array | Tensor, shape: readonly number[] | null | undefined, options: BatchNormFunctionalOptions,
  relu: boolean,
): BatchNormResult<Float32Array | Tensor> {
  checkOptionKeys(where, options, FORWARD_KEYS);
  const backend = backendOf(where, options.backend);
  const layout = checkLayout(where, options.layout ?? "NCHW");
  const training = checkBoolean(where, "training", options.training ?? false);
  const eps = checkEps(where, options.eps ?? 1e-5);
  const momentum = checkMomentum(where, options.momentum ?? 0.1, false)!;
  const input = resolveInput(where, "x", x, shape, backend);
  const d = inputDims(where, input, layout);
  const weight = optionalChannels(where, "weight", options.weight, d.C);
  const bias = optionalChannels(where, "bias", options.bias, d.C);
  const pair = runningPair(where, options, d.C, !training);
  const count = d.N * d.S;
  if (training && count === 1) {
    fail(where, `expected more than 1 value per channel when training, got x of shape ${describe(input.shape)}`);
  }
  const running = pair && { ...pair, momentum, varFactor: training ? count / (count - 1) : 1 };
  const ws = new Workspace(backend, d.C);
  try {
    const { y } = runForward(ws, { where, x: input, dims: d, eps, batchStats: training, weight, bias, running, relu });
    return { y, saveMean: ws.ch.mean.f64().slice(0, d.C), saveInvstd: ws.ch.invstd.f64().slice(0, d.C) };
  } finally {
    ws.dispose();
  }
}

/**
 * Gradients of batchNorm: dx (the kind of dy), dweight = sum(dy * xhat), dbias = sum(dy).
 * training: true differentiates through the batch statistics (needs saveMean and
 * saveInvstd from the forward); false treats the running statistics as constants.
 */
export function batchNormBackward(
  dy: Float32Array, x: Float32Array | Tensor, shape: readonly number[], options?: BatchNormBackwardOptions,
): Gradients<Float32Array>;
export function batchNormBackward(
  dy: Tensor, x: Float32Array | Tensor, shape?: readonly number[] | null, options?: BatchNormBackwardOptions,
): Gradients<Tensor>;
export function batchNormBackward(
  dy: Float32Array | Tensor, x: Float32Array | Tensor, shape?: readonly number[] | null, options: BatchNormBackwardOptions = {},
): Gradients<Float32Array | Tensor> {
  return differentiate("batchNormBackward", dy, x, shape, options, false);
}

/**
 * Gradients of batchNormRelu: batchNormBackward of dy masked where the forward's output was
 * not positive. The mask is recomputed from x with the forward's weight, bias and
 * statistics (pass the same ones), so y is not needed.
 */
export function batchNormReluBackward(
  dy: Float32Array, x: Float32Array | Tensor, shape: readonly number[], options?: BatchNormReluBackwardOptions,
): Gradients<Float32Array>;
export function batchNormReluBackward(
  dy: Tensor, x: Float32Array | Tensor, shape?: readonly number[] | null, options?: BatchNormReluBackwardOptions,
): Gradients<Tensor>;
export function batchNormReluBackward(
  dy: Float32Array | Tensor, x: Float32Array | Tensor, shape?: readonly number[] | null, options: BatchNormReluBackwardOptions = {},
): Gradients<Float32Array | Tensor> {
  return differentiate("batchNormReluBackward", dy, x, shape, options, true);
}

function differentiate(
  where: string, dy: Float32Array | Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined,
  options: BatchNormReluBackwardOptions, relu: boolean,
): Gradients<Float32Array | Tensor> {
  checkOptionKeys(where, options, relu ? RELU_BACKWARD_KEYS : BACKWARD_KEYS);
  const backend = backendOf(where, options.backend);
  const layout = checkLayout(where, options.layout ?? "NCHW");
  const training = checkBoolean(where, "training", options.training ?? false);
  const eps = checkEps(where, options.eps ?? 1e-5);
  const xIn = resolveInput(where, "x", x, shape, backend);
  const dyIn = resolveInput(where, "dy", dy, xIn.shape, backend);
  const d = inputDims(where, xIn, layout);
  const weight = optionalChannels(where, "weight", options.weight, d.C);
  const bias = relu ? optionalChannels(where, "bias", options.bias, d.C) : null;
  let mean: ArrayLike<number>, invstd: ArrayLike<number>;
  if (training) {
    if (options.saveMean == null || options.saveInvstd == null) {
      fail(where, "saveMean and saveInvstd (from batchNorm) are required when training is true");
    }
    mean = checkChannelArray(where, "saveMean", options.saveMean, d.C);
    invstd = checkChannelArray(where, "saveInvstd", options.saveInvstd, d.C);
  } else {
    const pair = runningPair(where, options, d.C, true)!;
    mean = pair.mean;
    invstd = Array.from(pair.var, (v) => 1 / Math.sqrt(v + eps));
  }
  const ws = new Workspace(backend, d.C);
  try {
    const { staged } = ws.prepare(xIn.tensor ? [] : [["x", xIn.size * 4]]);
    const xRegion = xIn.tensor ? xIn.tensor.regionFor(where) : staged[0];
    if (xIn.array) xRegion.f32().set(xIn.array);
    ws.ch.mean.f64().set(mean);
    ws.ch.invstd.f64().set(invstd);
    const context: ForwardContext = {
      x: xRegion, xTensor: xIn.tensor, shape: xIn.shape, size: xIn.size, dims: d, batchStats: training,
      weight: weight && Float32Array.from(weight), bias: bias && Float32Array.from(bias), relu,
    };
    return runBackward(ws, where, context, dyIn, true);
  } finally {
    ws.dispose();
  }
}
