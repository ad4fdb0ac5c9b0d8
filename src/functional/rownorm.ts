// The functional API of the transformer norms: RMS norm (as torch.nn.functional.rms_norm),
// and layer or RMS norm of a residual add in one pass (ONNX Runtime's SkipLayerNormalization
// / SkipSimplifiedLayerNormalization), each forward returning its saved statistics and each
// backward taking them back. Every call works in a workspace of its own, freed before it returns.

import type { Backend } from "../runtime/backend.js";
import {
  checkEps, checkOptionKeys, checkRmsEps, fail, optionalArray, savedInvRms, savedStats,
} from "../runtime/checks.js";
import { backendOption } from "../runtime/default-backend.js";
import type { Tensor } from "../runtime/tensor.js";
import { normBackward, normContext, normForward, type GivenStats } from "../ops/norms.js";
import { checkNormalizedShape, elementMeaning, layerRows, resolveInput, resolveOut, type Input } from "../ops/shapes.js";
import { withWorkspace } from "../ops/workspace.js";

export interface RmsNormResult<T> {
  y: T;
  /** 1 / sqrt(mean(x^2) + eps) per row (the leading dims), float64. */
  saveInvRms: Float64Array;
}

export interface RmsNormFunctionalOptions {
  /** Elementwise weight, normalizedShape's size (flat); null or absent: none. */
  weight?: ArrayLike<number> | null;
  /** null or absent: float32's machine epsilon, 2 ** -23 (torch's eps=None). */
  eps?: number | null;
  backend?: Backend;
  /** A Float32Array of x's size that y is written into (and returned as y); a view of the backend's memory is written in place. */
  out?: Float32Array | null;
}

export interface RmsNormBackwardOptions {
  weight?: ArrayLike<number> | null;
  eps?: number | null;
  backend?: Backend;
  /** The forward's saveInvRms; absent: recomputed from x and eps. */
  saveInvRms?: Float64Array | Float32Array | null;
  /** A Float32Array of dy's size that dx is written into (and returned as dx). */
  dx?: Float32Array | null;
}

export interface RmsNormGradients<T> {
  dx: T;
  /** sum over rows of dy * x * invRms; null without a weight. */
  dweight: Float32Array | null;
}

export interface AddLayerNormOptions {
  weight?: ArrayLike<number> | null;
  bias?: ArrayLike<number> | null;
  /** Added into the sum, one value per element of normalizedShape (ONNX Runtime's skip-norm `bias`). */
  addBias?: ArrayLike<number> | null;
  /** Default 1e-5. */
  eps?: number;
  backend?: Backend;
  /** A Float32Array of x's size that y is written into (and returned as y); a view of the backend's memory is written in place. */
  out?: Float32Array | null;
  /** A Float32Array of x's size that sum is written into (and returned as sum). */
  outSum?: Float32Array | null;
}

export interface AddRmsNormOptions {
  weight?: ArrayLike<number> | null;
  addBias?: ArrayLike<number> | null;
  /** null or absent: 2 ** -23. */
  eps?: number | null;
  backend?: Backend;
  /** As addLayerNorm's. */
  out?: Float32Array | null;
  outSum?: Float32Array | null;
}

export interface AddLayerNormResult<T> {
  y: T;
  /** x + residual (+ addBias): the residual stream's next value, in x's kind. */
  sum: T;
  saveMean: Float64Array;
  saveInvstd: Float64Array;
}

export interface AddRmsNormResult<T> {
  y: T;
  sum: T;
  saveInvRms: Float64Array;
}

export interface AddLayerNormBackwardOptions {
  /** The gradient arriving at sum from the residual stream, sum's shape; absent: none. */
  dsum?: Float32Array | Tensor | null;
  weight?: ArrayLike<number> | null;
  saveMean?: Float64Array | Float32Array | null;
  saveInvstd?: Float64Array | Float32Array | null;
  eps?: number;
  backend?: Backend;
  /** A Float32Array of dy's size that dx is written into (and returned as dx). */
  dx?: Float32Array | null;
}

export interface AddRmsNormBackwardOptions {
  dsum?: Float32Array | Tensor | null;
  weight?: ArrayLike<number> | null;
  saveInvRms?: Float64Array | Float32Array | null;
  eps?: number | null;
  backend?: Backend;
  /** A Float32Array of dy's size that dx is written into (and returned as dx). */
  dx?: Float32Array | null;
}

export interface AddLayerNormGradients<T> {
  /** The gradient of both x and residual: the norm's gradient plus dsum. */
  dx: T;
  /** null without a weight. */
  dweight: Float32Array | null;
  dbias: Float32Array;
  /** sum over rows of dx. */
  daddBias: Float32Array;
}

export interface AddRmsNormGradients<T> {
  dx: T;
  dweight: Float32Array | null;
  daddBias: Float32Array;
}

type Array32 = Float32Array | Tensor;

/** What every call of this file checks first: options, backend, eps, x (or sum) and its rows, the weight. */
function setup(
  where: string, keys: readonly string[], options: { eps?: number | null; backend?: Backend; weight?: unknown },
  x: unknown, shape: unknown, normalizedShape: unknown, centered: boolean, name = "x",
) {
  checkOptionKeys(where, options, keys);
  const ns = checkNormalizedShape(where, normalizedShape);
  const backend = backendOption(where, options.backend);
  const eps = centered ? checkEps(where, options.eps ?? 1e-5) : checkRmsEps(where, options.eps);
  const input = resolveInput(where, name, x, shape, backend);
  const { R, L } = layerRows(where, input.shape, ns, name);
  const meaning = elementMeaning(ns);
  const weight = optionalArray(where, "weight", options.weight, L, meaning);
  return { backend, eps, input, R, L, meaning, weight, geometry: { op: "rows", R, L, centered } as const };
}

type Setup = ReturnType<typeof setup>;

/** The outputs' options of a forward, checked: y's `out` and, with a residual, sum's `outSum` (not the same memory). */
function forwardOuts(s: Setup, where: string, options: { out?: unknown; outSum?: unknown }) {
  const out = resolveOut(where, "out", options.out, s.input, "x", s.backend);
  const outSum = resolveOut(where, "outSum", options.outSum, s.input, "x", s.backend);
  if (out && outSum && out.array.buffer === outSum.array.buffer &&
    out.array.byteOffset < outSum.array.byteOffset + outSum.array.byteLength && outSum.array.byteOffset < out.array.byteOffset + out.array.byteLength) {
    fail(where, "out and outSum share memory: y and sum need arrays of their own");
  }
  return { out, outSum };
}

/** The forwards: y (and, with a residual, sum) and the statistics of each row. */
function forward(
  s: Setup, where: string, residual: Input | null, bias: ArrayLike<number> | null, addBias: ArrayLike<number> | null,
  outs: ReturnType<typeof forwardOuts>,
) {
  return withWorkspace(s.backend, (ws) => {
    const { y, sum, stats } = normForward(ws, {
      where, x: s.input, residual, geometry: s.geometry, eps: s.eps, weight: s.weight, bias, addBias, ...outs,
    });
    return { y, sum: sum!, saveMean: stats.stat("mean").slice(), saveInvstd: stats.stat("invstd").slice() };
  });
}

/** The backwards: dx (plus dsum; into the `dx` option when given), the parameters' gradients (dweight only with a weight). */
function backward(s: Setup, where: string, dy: unknown, saved: GivenStats | null, dsum: unknown, add: boolean, dxOption: unknown) {
  const dyIn = resolveInput(where, "dy", dy, s.input.shape, s.backend);
  const dsumIn = add && dsum !== undefined && dsum !== null ? resolveInput(where, "dsum", dsum, s.input.shape, s.backend) : null;
  const dx = resolveOut(where, "dx", dxOption, dyIn, "dy", s.backend);
  return withWorkspace(s.backend, (ws) => {
    const context = normContext(ws, where, s.input, s.geometry, s.weight, saved, s.eps);
    return normBackward(ws, where, context, dyIn, s.weight !== null, s.geometry.centered, add ? { dsum: dsumIn, wantAddBias: true } : null, dx);
  });
}

const RMS_KEYS = ["weight", "eps", "backend", "out"];
const RMS_BACKWARD_KEYS = ["weight", "eps", "backend", "saveInvRms", "dx"];
const ADD_LAYER_KEYS = ["weight", "bias", "addBias", "eps", "backend", "out", "outSum"];
const ADD_RMS_KEYS = ["weight", "addBias", "eps", "backend", "out", "outSum"];
const ADD_LAYER_BACKWARD_KEYS = ["dsum", "weight", "saveMean", "saveInvstd", "eps", "backend", "dx"];
const ADD_RMS_BACKWARD_KEYS = ["dsum", "weight", "saveInvRms", "eps", "backend", "dx"];
const PER_ROW = "one value per row";

/** RMS norm over the trailing dims normalizedShape of x: y = x / sqrt(mean(x^2) + eps) * weight, one statistic per row. */
export function rmsNorm(x: Float32Array, shape: readonly number[], normalizedShape: number | readonly number[], options?: RmsNormFunctionalOptions): RmsNormResult<Float32Array>;
export function rmsNorm(x: Tensor, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[], options?: RmsNormFunctionalOptions): RmsNormResult<Tensor>;
export function rmsNorm(
  x: Array32, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[], options: RmsNormFunctionalOptions = {},
): RmsNormResult<Array32> {
  const s = setup("rmsNorm", RMS_KEYS, options, x, shape, normalizedShape, false);
  const { y, saveInvstd } = forward(s, "rmsNorm", null, null, null, forwardOuts(s, "rmsNorm", options));
  return { y, saveInvRms: saveInvstd };
}

/** Gradients of rmsNorm: { dx (dy's kind), dweight = sum over rows of dy * x * invRms (null without weight) }. */
export function rmsNormBackward(dy: Float32Array, x: Array32, shape: readonly number[], normalizedShape: number | readonly number[], options?: RmsNormBackwardOptions): RmsNormGradients<Float32Array>;
export function rmsNormBackward(dy: Tensor, x: Array32, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[], options?: RmsNormBackwardOptions): RmsNormGradients<Tensor>;
export function rmsNormBackward(
  dy: Array32, x: Array32, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[],
  options: RmsNormBackwardOptions = {},
): RmsNormGradients<Array32> {
  const where = "rmsNormBackward";
  const s = setup(where, RMS_BACKWARD_KEYS, options, x, shape, normalizedShape, false);
  const { dx, dweight } = backward(s, where, dy, savedInvRms(where, options.saveInvRms, s.R, PER_ROW), null, false, options.dx);
  return { dx, dweight };
}

/** Checks a residual against x: the same shape (and backend, for tensors). */
function residualOf(s: Setup, where: string, residual: unknown): Input {
  return resolveInput(where, "residual", residual, s.input.shape, s.backend);
}

/**
 * Layer norm of a residual add in one pass: sum = x + residual (+ addBias), y = layerNorm(sum)
 * with weight / bias; { y, sum (x's kind), saveMean, saveInvstd } per row.
 */
export function addLayerNorm(x: Float32Array, residual: Array32, shape: readonly number[], normalizedShape: number | readonly number[], options?: AddLayerNormOptions): AddLayerNormResult<Float32Array>;
export function addLayerNorm(x: Tensor, residual: Array32, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[], options?: AddLayerNormOptions): AddLayerNormResult<Tensor>;
export function addLayerNorm(
  x: Array32, residual: Array32, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[],
  options: AddLayerNormOptions = {},
): AddLayerNormResult<Array32> {
  const where = "addLayerNorm";
  const s = setup(where, ADD_LAYER_KEYS, options, x, shape, normalizedShape, true);
  const bias = optionalArray(where, "bias", options.bias, s.L, s.meaning);
  const addBias = optionalArray(where, "addBias", options.addBias, s.L, s.meaning);
  const r = residualOf(s, where, residual);
  return forward(s, where, r, bias, addBias, forwardOuts(s, where, options));
}

/** RMS norm of a residual add in one pass: sum = x + residual (+ addBias), y = rmsNorm(sum) * weight; { y, sum, saveInvRms }. */
export function addRmsNorm(x: Float32Array, residual: Array32, shape: readonly number[], normalizedShape: number | readonly number[], options?: AddRmsNormOptions): AddRmsNormResult<Float32Array>;
export function addRmsNorm(x: Tensor, residual: Array32, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[], options?: AddRmsNormOptions): AddRmsNormResult<Tensor>;
export function addRmsNorm(
  x: Array32, residual: Array32, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[],
  options: AddRmsNormOptions = {},
): AddRmsNormResult<Array32> {
  const where = "addRmsNorm";
  const s = setup(where, ADD_RMS_KEYS, options, x, shape, normalizedShape, false);
  const addBias = optionalArray(where, "addBias", options.addBias, s.L, s.meaning);
  const r = residualOf(s, where, residual);
  const { y, sum, saveInvstd } = forward(s, where, r, null, addBias, forwardOuts(s, where, options));
  return { y, sum, saveInvRms: saveInvstd };
}

/**
 * Gradients of addLayerNorm from its sum: { dx (the gradient of x and of residual, dy's
 * kind; dsum added), dweight (null without weight), dbias, daddBias = sum over rows of dx }.
 */
export function addLayerNormBackward(dy: Float32Array, sum: Array32, shape: readonly number[], normalizedShape: number | readonly number[], options?: AddLayerNormBackwardOptions): AddLayerNormGradients<Float32Array>;
export function addLayerNormBackward(dy: Tensor, sum: Array32, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[], options?: AddLayerNormBackwardOptions): AddLayerNormGradients<Tensor>;
export function addLayerNormBackward(
  dy: Array32, sum: Array32, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[],
  options: AddLayerNormBackwardOptions = {},
): AddLayerNormGradients<Array32> {
  const where = "addLayerNormBackward";
  const s = setup(where, ADD_LAYER_BACKWARD_KEYS, options, sum, shape, normalizedShape, true, "sum");
  const saved = savedStats(where, options.saveMean, options.saveInvstd, s.R, PER_ROW);
  const g = backward(s, where, dy, saved, options.dsum, true, options.dx);
  return { dx: g.dx, dweight: g.dweight, dbias: g.dbias!, daddBias: g.daddBias! };
}

/** Gradients of addRmsNorm from its sum: { dx (dsum added), dweight (null without weight), daddBias }. */
export function addRmsNormBackward(dy: Float32Array, sum: Array32, shape: readonly number[], normalizedShape: number | readonly number[], options?: AddRmsNormBackwardOptions): AddRmsNormGradients<Float32Array>;
export function addRmsNormBackward(dy: Tensor, sum: Array32, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[], options?: AddRmsNormBackwardOptions): AddRmsNormGradients<Tensor>;
export function addRmsNormBackward(
  dy: Array32, sum: Array32, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[],
  options: AddRmsNormBackwardOptions = {},
): AddRmsNormGradients<Array32> {
  const where = "addRmsNormBackward";
  const s = setup(where, ADD_RMS_BACKWARD_KEYS, options, sum, shape, normalizedShape, false, "sum");
  const g = backward(s, where, dy, savedInvRms(where, options.saveInvRms, s.R, PER_ROW), options.dsum, true, options.dx);
  return { dx: g.dx, dweight: g.dweight, daddBias: g.daddBias! };
}
