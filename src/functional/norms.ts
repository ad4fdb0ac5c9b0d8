// The functional API of the normalization family, after ATen: each forward returns the
// output plus the saved statistics (native_layer_norm / native_group_norm style) and each
// backward takes them back. Every call works in a workspace of its own, freed before it
// returns.

import type { Backend } from "../runtime/backend.js";
import {
  checkBoolean, checkEps, checkMomentum, checkOptionKeys, checkPositiveInteger, optionalArray, runningPair, savedStats,
} from "../runtime/checks.js";
import { backendOption } from "../runtime/default-backend.js";
import type { Tensor } from "../runtime/tensor.js";
import { batchNormBackward, batchNormContext, type Gradients } from "../ops/batchnorm.js";
import { instanceNormForward } from "../ops/instancenorm.js";
import { normBackward, normContext, normForward, type Geometry } from "../ops/norms.js";
import {
  checkNormalizedShape, checkSpatialSize, elementMeaning, groupDims, instanceDims, layerRows, resolveInput, type Input,
} from "../ops/shapes.js";
import { withWorkspace } from "../ops/workspace.js";

export interface NormResult<T> {
  y: T;
  /** Mean per normalized run in float64 (layer norm: per row; group norm: per (n, g); instance norm: per (n, c), or the running mean per channel). */
  saveMean: Float64Array;
  /** 1 / sqrt(var + eps) of the same runs, float64. */
  saveInvstd: Float64Array;
}

export interface LayerNormFunctionalOptions {
  /** Elementwise weight / bias, normalizedShape's size (flat); null or absent: none. */
  weight?: ArrayLike<number> | null;
  bias?: ArrayLike<number> | null;
  eps?: number;
  backend?: Backend;
}

export interface NormBackwardOptions {
  weight?: ArrayLike<number> | null;
  /** The forward's saveMean / saveInvstd; when both are absent they are recomputed from x. */
  saveMean?: Float64Array | Float32Array | null;
  saveInvstd?: Float64Array | Float32Array | null;
  /** Used when the statistics are recomputed (default 1e-5). */
  eps?: number;
  backend?: Backend;
}

export type GroupNormFunctionalOptions = LayerNormFunctionalOptions;

export interface InstanceNormFunctionalOptions extends LayerNormFunctionalOptions {
  /** Running statistics (Float32Array of C): updated in place when using the input's statistics, used otherwise. */
  runningMean?: Float32Array | null;
  runningVar?: Float32Array | null;
  /** Normalize with each instance's own statistics (default true, as F.instance_norm); false: with the running ones. */
  useInputStats?: boolean;
  /** Weight of the batch statistics in the running update (default 0.1). */
  momentum?: number;
}

export interface InstanceNormBackwardOptions extends NormBackwardOptions {
  /** As in the forward: false differentiates with the running statistics frozen (they are then required). */
  useInputStats?: boolean;
  runningMean?: Float32Array | null;
  runningVar?: Float32Array | null;
}

const FORWARD_KEYS = ["weight", "bias", "eps", "backend"];
const BACKWARD_KEYS = ["weight", "saveMean", "saveInvstd", "eps", "backend"];
const INSTANCE_KEYS = [...FORWARD_KEYS, "runningMean", "runningVar", "useInputStats", "momentum"];
const INSTANCE_BACKWARD_KEYS = [...BACKWARD_KEYS, "useInputStats", "runningMean", "runningVar"];

function forward(
  where: string, input: Input, geometry: Geometry, eps: number, weight: ArrayLike<number> | null, bias: ArrayLike<number> | null,
  backend: Backend,
): NormResult<Float32Array | Tensor> {
  return withWorkspace(backend, (ws) => {
    const { y, stats } = normForward(ws, { where, x: input, geometry, eps, weight, bias });
    return { y, saveMean: stats.stat("mean").slice(), saveInvstd: stats.stat("invstd").slice() };
  });
}

function backward(
  where: string, dyIn: Input, xIn: Input, geometry: Geometry, weight: ArrayLike<number> | null,
  saved: { mean: ArrayLike<number>; invstd: ArrayLike<number> } | null, eps: number, backend: Backend,
): Gradients<Float32Array | Tensor> {
  return withWorkspace(backend, (ws) => {
    const context = normContext(ws, where, xIn, geometry, weight, saved, eps);
    return normBackward(ws, where, context, dyIn, true, true);
  });
}

/**
 * Layer norm over the trailing dims normalizedShape of x (F.layer_norm / native_layer_norm):
 * { y, saveMean, saveInvstd } with one statistic per row (the leading dims).
 */
export function layerNorm(x: Float32Array, shape: readonly number[], normalizedShape: number | readonly number[], options?: LayerNormFunctionalOptions): NormResult<Float32Array>;
export function layerNorm(x: Tensor, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[], options?: LayerNormFunctionalOptions): NormResult<Tensor>;
export function layerNorm(
  x: Float32Array | Tensor, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[],
  options: LayerNormFunctionalOptions = {},
): NormResult<Float32Array | Tensor> {
  const where = "layerNorm";
  checkOptionKeys(where, options, FORWARD_KEYS);
  const backend = backendOption(where, options.backend);
  const ns = checkNormalizedShape(where, normalizedShape);
  const eps = checkEps(where, options.eps ?? 1e-5);
  const input = resolveInput(where, "x", x, shape, backend);
  const { R, L } = layerRows(where, input.shape, ns);
  const meaning = elementMeaning(ns);
  const weight = optionalArray(where, "weight", options.weight, L, meaning);
  const bias = optionalArray(where, "bias", options.bias, L, meaning);
  return forward(where, input, { op: "layer", R, L }, eps, weight, bias, backend);
}

/** Gradients of layerNorm: { dx (dy's kind), dweight = sum(dy * xhat), dbias = sum(dy) } over the rows. */
export function layerNormBackward(dy: Float32Array, x: Float32Array | Tensor, shape: readonly number[], normalizedShape: number | readonly number[], options?: NormBackwardOptions): Gradients<Float32Array>;
export function layerNormBackward(dy: Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[], options?: NormBackwardOptions): Gradients<Tensor>;
export function layerNormBackward(
  dy: Float32Array | Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined,
  normalizedShape: number | readonly number[], options: NormBackwardOptions = {},
): Gradients<Float32Array | Tensor> {
  const where = "layerNormBackward";
  checkOptionKeys(where, options, BACKWARD_KEYS);
  const backend = backendOption(where, options.backend);
  const ns = checkNormalizedShape(where, normalizedShape);
  const eps = checkEps(where, options.eps ?? 1e-5);
  const xIn = resolveInput(where, "x", x, shape, backend);
  const dyIn = resolveInput(where, "dy", dy, xIn.shape, backend);
  const { R, L } = layerRows(where, xIn.shape, ns);
  const weight = optionalArray(where, "weight", options.weight, L, elementMeaning(ns));
  const saved = savedStats(where, options.saveMean, options.saveInvstd, R, "one value per row");
  return backward(where, dyIn, xIn, { op: "layer", R, L }, weight, saved, eps, backend);
}

/** Group norm of (N, C, *) input in numGroups groups (F.group_norm / native_group_norm): statistics per (n, g). */
export function groupNorm(x: Float32Array, shape: readonly number[], numGroups: number, options?: GroupNormFunctionalOptions): NormResult<Float32Array>;
export function groupNorm(x: Tensor, shape: readonly number[] | null | undefined, numGroups: number, options?: GroupNormFunctionalOptions): NormResult<Tensor>;
export function groupNorm(
  x: Float32Array | Tensor, shape: readonly number[] | null | undefined, numGroups: number, options: GroupNormFunctionalOptions = {},
): NormResult<Float32Array | Tensor> {
  const where = "groupNorm";
  checkOptionKeys(where, options, FORWARD_KEYS);
  const backend = backendOption(where, options.backend);
  const G = checkPositiveInteger(where, "numGroups", numGroups);
  const eps = checkEps(where, options.eps ?? 1e-5);
  const input = resolveInput(where, "x", x, shape, backend);
  const d = groupDims(where, input.shape, G, null);
  const weight = optionalArray(where, "weight", options.weight, d.C, "one value per channel");
  const bias = optionalArray(where, "bias", options.bias, d.C, "one value per channel");
  return forward(where, input, { op: "group", d }, eps, weight, bias, backend);
}

/** Gradients of groupNorm: { dx (dy's kind), dweight, dbias } per channel. */
export function groupNormBackward(dy: Float32Array, x: Float32Array | Tensor, shape: readonly number[], numGroups: number, options?: NormBackwardOptions): Gradients<Float32Array>;
export function groupNormBackward(dy: Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined, numGroups: number, options?: NormBackwardOptions): Gradients<Tensor>;
export function groupNormBackward(
  dy: Float32Array | Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined, numGroups: number,
  options: NormBackwardOptions = {},
): Gradients<Float32Array | Tensor> {
  const where = "groupNormBackward";
  checkOptionKeys(where, options, BACKWARD_KEYS);
  const backend = backendOption(where, options.backend);
  const G = checkPositiveInteger(where, "numGroups", numGroups);
  const eps = checkEps(where, options.eps ?? 1e-5);
  const xIn = resolveInput(where, "x", x, shape, backend);
  const dyIn = resolveInput(where, "dy", dy, xIn.shape, backend);
  const d = groupDims(where, xIn.shape, G, null);
  const weight = optionalArray(where, "weight", options.weight, d.C, "one value per channel");
  const saved = savedStats(where, options.saveMean, options.saveInvstd, d.N * G, "one value per sample and group");
  return backward(where, dyIn, xIn, { op: "group", d }, weight, saved, eps, backend);
}

/**
 * Instance norm of (N, C, *) input (F.instance_norm). useInputStats (default true): each
 * (n, c) plane by its own statistics, and runningMean / runningVar, if given, updated in
 * place with the batch averages; false: every plane of channel c by the running statistics.
 */
export function instanceNorm(x: Float32Array, shape: readonly number[], options?: InstanceNormFunctionalOptions): NormResult<Float32Array>;
export function instanceNorm(x: Tensor, shape?: readonly number[] | null, options?: InstanceNormFunctionalOptions): NormResult<Tensor>;
export function instanceNorm(
  x: Float32Array | Tensor, shape?: readonly number[] | null, options: InstanceNormFunctionalOptions = {},
): NormResult<Float32Array | Tensor> {
  const where = "instanceNorm";
  checkOptionKeys(where, options, INSTANCE_KEYS);
  const backend = backendOption(where, options.backend);
  const eps = checkEps(where, options.eps ?? 1e-5);
  const momentum = checkMomentum(where, options.momentum ?? 0.1, false)!;
  const useInputStats = checkBoolean(where, "useInputStats", options.useInputStats ?? true);
  const input = resolveInput(where, "x", x, shape, backend);
  const d = instanceDims(where, input.shape, null, null);
  const weight = optionalArray(where, "weight", options.weight, d.C);
  const bias = optionalArray(where, "bias", options.bias, d.C);
  const running = runningPair(where, options.runningMean, options.runningVar, d.C, useInputStats ? null : "useInputStats is false");
  if (useInputStats) checkSpatialSize(where, d, input.shape);
  return withWorkspace(backend, (ws) => {
    const { y, saveMean, saveInvstd } = instanceNormForward(ws, {
      where, x: input, dims: d, eps, weight, bias, useInputStats, running, momentum,
    });
    return { y, saveMean, saveInvstd };
  });
}

/**
 * Gradients of instanceNorm: { dx (dy's kind), dweight, dbias } per channel. useInputStats
 * (default true): through the per-instance statistics (saveMean / saveInvstd of length
 * N * C, or recomputed); false: with runningMean / runningVar frozen.
 */
export function instanceNormBackward(dy: Float32Array, x: Float32Array | Tensor, shape: readonly number[], options?: InstanceNormBackwardOptions): Gradients<Float32Array>;
export function instanceNormBackward(dy: Tensor, x: Float32Array | Tensor, shape?: readonly number[] | null, options?: InstanceNormBackwardOptions): Gradients<Tensor>;
export function instanceNormBackward(
  dy: Float32Array | Tensor, x: Float32Array | Tensor, shape?: readonly number[] | null, options: InstanceNormBackwardOptions = {},
): Gradients<Float32Array | Tensor> {
  const where = "instanceNormBackward";
  checkOptionKeys(where, options, INSTANCE_BACKWARD_KEYS);
  const backend = backendOption(where, options.backend);
  const eps = checkEps(where, options.eps ?? 1e-5);
  const useInputStats = checkBoolean(where, "useInputStats", options.useInputStats ?? true);
  const xIn = resolveInput(where, "x", x, shape, backend);
  const dyIn = resolveInput(where, "dy", dy, xIn.shape, backend);
  const d = instanceDims(where, xIn.shape, null, null);
  const weight = optionalArray(where, "weight", options.weight, d.C);
  if (useInputStats) {
    checkSpatialSize(where, d, xIn.shape);
    const saved = savedStats(where, options.saveMean, options.saveInvstd, d.N * d.C, "one value per sample and channel");
    return backward(where, dyIn, xIn, { op: "group", d }, weight, saved, eps, backend);
  }
  const running = runningPair(where, options.runningMean, options.runningVar, d.C, "useInputStats is false")!;
  const stats = { mean: running.mean, invstd: Array.from(running.var, (v) => 1 / Math.sqrt(v + eps)) };
  return withWorkspace(backend, (ws) => {
    const context = batchNormContext(ws, where, xIn, { N: d.N, C: d.C, S: d.S, channelsLast: false }, false, false, stats, weight, null);
    return batchNormBackward(ws, where, context, dyIn, true);
  });
}
