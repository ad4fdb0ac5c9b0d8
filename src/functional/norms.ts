// The functional API of the normalization family, after ATen: each forward returns the
// output plus the saved statistics (native_layer_norm / native_group_norm style) and each
// backward takes them back. Every call works in a workspace of its own, freed before it
// returns.

import type { Backend, GroupDims, Layout } from "../runtime/backend.js";
import {
  checkBoolean, checkEps, checkMomentum, checkOptionKeys, checkPositiveInteger, optionalArray, runningPair, savedStats,
} from "../runtime/checks.js";
import { backendOption } from "../runtime/default-backend.js";
import type { Gradients, Tensor } from "../runtime/tensor.js";
import { batchNormBackward, batchNormContext } from "../ops/batchnorm.js";
import { instanceNormForward } from "../ops/instancenorm.js";
import { invstdOf } from "../ops/running.js";
import { normBackward, normContext, normForward, type Geometry } from "../ops/norms.js";
import {
  checkLayout, checkNormalizedShape, checkSpatialSize, elementMeaning, groupDims, instanceDims, layerRows, resolveInput, resolveOut,
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
  /** A Float32Array of x's size that y is written into (and returned as y); a view of the backend's memory is written in place. */
  out?: Float32Array | null;
}

export interface NormBackwardOptions {
  /** A Float32Array of dy's size that dx is written into (and returned as dx). */
  dx?: Float32Array | null;
  weight?: ArrayLike<number> | null;
  /** The forward's saveMean / saveInvstd; when both are absent they are recomputed from x. */
  saveMean?: Float64Array | Float32Array | null;
  saveInvstd?: Float64Array | Float32Array | null;
  /** Used when the statistics are recomputed (default 1e-5). */
  eps?: number;
  backend?: Backend;
}

export interface GroupNormFunctionalOptions extends LayerNormFunctionalOptions {
  /** "NCHW" (default): x is (N, C, *); "NHWC": (N, *, C), channels last. */
  layout?: Layout;
}

export interface GroupNormBackwardOptions extends NormBackwardOptions {
  /** As in the forward. */
  layout?: Layout;
}

export interface InstanceNormFunctionalOptions extends GroupNormFunctionalOptions {
  /** Running statistics (Float32Array of C): updated in place when using the input's statistics, used otherwise. */
  runningMean?: Float32Array | null;
  runningVar?: Float32Array | null;
  /** Normalize with each instance's own statistics (default true, as F.instance_norm); false: with the running ones. */
  useInputStats?: boolean;
  /** Weight of the batch statistics in the running update (default 0.1). */
  momentum?: number;
}

export interface InstanceNormBackwardOptions extends GroupNormBackwardOptions {
  /** As in the forward: false differentiates with the running statistics frozen (they are then required). */
  useInputStats?: boolean;
  runningMean?: Float32Array | null;
  runningVar?: Float32Array | null;
}

const FORWARD_KEYS = ["weight", "bias", "eps", "backend", "out"];
const BACKWARD_KEYS = ["weight", "saveMean", "saveInvstd", "eps", "backend", "dx"];
const GROUP_KEYS = [...FORWARD_KEYS, "layout"];
const GROUP_BACKWARD_KEYS = [...BACKWARD_KEYS, "layout"];
const INSTANCE_KEYS = [...GROUP_KEYS, "runningMean", "runningVar", "useInputStats", "momentum"];
const INSTANCE_BACKWARD_KEYS = [...GROUP_BACKWARD_KEYS, "useInputStats", "runningMean", "runningVar"];

/** How a call cuts x into runs: the geometry, its parameters' length and meaning, and what one saved statistic is. */
interface Cut {
  readonly geometry: Geometry;
  readonly params: number;
  readonly meaning: string;
  readonly rows: number;
  readonly perRow: string;
}

/** The checks every call of this file shares; `cut` checks and cuts x's shape. */
function setup<T extends Cut>(
  where: string, keys: readonly string[], options: NormBackwardOptions, x: unknown, shape: unknown,
  cut: (shape: readonly number[]) => T,
) {
  checkOptionKeys(where, options, keys);
  const backend = backendOption(where, options.backend);
  const eps = checkEps(where, options.eps ?? 1e-5);
  const input = resolveInput(where, "x", x, shape, backend);
  const c = cut(input.shape);
  return { backend, eps, input, cut: c, weight: optionalArray(where, "weight", options.weight, c.params, c.meaning) };
}

function forward(
  where: string, keys: readonly string[], options: LayerNormFunctionalOptions, x: unknown, shape: unknown,
  cut: (shape: readonly number[]) => Cut,
): NormResult<Float32Array | Tensor> {
  const { backend, eps, input, cut: c, weight } = setup(where, keys, options, x, shape, cut);
  const bias = optionalArray(where, "bias", options.bias, c.params, c.meaning);
  const out = resolveOut(where, "out", options.out, input, "x", backend);
  return withWorkspace(backend, (ws) => {
    const { y, stats } = normForward(ws, { where, x: input, geometry: c.geometry, eps, weight, bias, out });
    return { y, saveMean: stats.stat("mean").slice(), saveInvstd: stats.stat("invstd").slice() };
  });
}

function backward(
  where: string, keys: readonly string[], options: NormBackwardOptions, dy: unknown, x: unknown, shape: unknown,
  cut: (shape: readonly number[]) => Cut,
): Gradients<Float32Array | Tensor> {
  const { backend, eps, input: xIn, cut: c, weight } = setup(where, keys, options, x, shape, cut);
  const dyIn = resolveInput(where, "dy", dy, xIn.shape, backend);
  const saved = savedStats(where, options.saveMean, options.saveInvstd, c.rows, c.perRow);
  const dx = resolveOut(where, "dx", options.dx, dyIn, "dy", backend);
  return withWorkspace(backend, (ws) => {
    const context = normContext(ws, where, xIn, c.geometry, weight, saved, eps);
    return normBackward(ws, where, context, dyIn, true, true, null, dx);
  });
}

/** Rows of normalizedShape's size, one parameter per element. */
function layerCut(where: string, normalizedShape: unknown): (shape: readonly number[]) => Cut {
  const ns = checkNormalizedShape(where, normalizedShape);
  return (shape) => {
    const { R, L } = layerRows(where, shape, ns);
    return { geometry: { op: "layer", R, L }, params: L, meaning: elementMeaning(ns), rows: R, perRow: "one value per row" };
  };
}

/** (sample, group) runs, one parameter per channel; the layout is checked with the other options. */
function groupCut(where: string, numGroups: unknown, options: { layout?: unknown }): (shape: readonly number[]) => Cut {
  const G = checkPositiveInteger(where, "numGroups", numGroups);
  return (shape) => {
    const d = groupDims(where, shape, G, null, checkLayout(where, options.layout ?? "NCHW"));
    return { geometry: { op: "group", d }, params: d.C, meaning: "one value per channel", rows: d.N * G, perRow: "one value per sample and group" };
  };
}

/** (sample, channel) planes: group norm with one channel per group. */
function instanceCut(where: string, options: { layout?: unknown }): (shape: readonly number[]) => Cut & { readonly d: GroupDims } {
  return (shape) => {
    const d = instanceDims(where, shape, null, null, checkLayout(where, options.layout ?? "NCHW"));
    return {
      d, geometry: { op: "group", d }, params: d.C, meaning: "one value per channel", rows: d.N * d.C,
      perRow: "one value per sample and channel",
    };
  };
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
  return forward("layerNorm", FORWARD_KEYS, options, x, shape, layerCut("layerNorm", normalizedShape));
}

/** Gradients of layerNorm: { dx (dy's kind), dweight = sum(dy * xhat), dbias = sum(dy) } over the rows. */
export function layerNormBackward(dy: Float32Array, x: Float32Array | Tensor, shape: readonly number[], normalizedShape: number | readonly number[], options?: NormBackwardOptions): Gradients<Float32Array>;
export function layerNormBackward(dy: Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[], options?: NormBackwardOptions): Gradients<Tensor>;
export function layerNormBackward(
  dy: Float32Array | Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined,
  normalizedShape: number | readonly number[], options: NormBackwardOptions = {},
): Gradients<Float32Array | Tensor> {
  return backward("layerNormBackward", BACKWARD_KEYS, options, dy, x, shape, layerCut("layerNormBackward", normalizedShape));
}

/**
 * Group norm of (N, C, *) input (layout "NHWC": (N, *, C)) in numGroups groups (F.group_norm /
 * native_group_norm): statistics per (n, g).
 */
export function groupNorm(x: Float32Array, shape: readonly number[], numGroups: number, options?: GroupNormFunctionalOptions): NormResult<Float32Array>;
export function groupNorm(x: Tensor, shape: readonly number[] | null | undefined, numGroups: number, options?: GroupNormFunctionalOptions): NormResult<Tensor>;
export function groupNorm(
  x: Float32Array | Tensor, shape: readonly number[] | null | undefined, numGroups: number, options: GroupNormFunctionalOptions = {},
): NormResult<Float32Array | Tensor> {
  return forward("groupNorm", GROUP_KEYS, options, x, shape, groupCut("groupNorm", numGroups, options));
}

/** Gradients of groupNorm: { dx (dy's kind), dweight, dbias } per channel. */
export function groupNormBackward(dy: Float32Array, x: Float32Array | Tensor, shape: readonly number[], numGroups: number, options?: GroupNormBackwardOptions): Gradients<Float32Array>;
export function groupNormBackward(dy: Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined, numGroups: number, options?: GroupNormBackwardOptions): Gradients<Tensor>;
export function groupNormBackward(
  dy: Float32Array | Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined, numGroups: number,
  options: GroupNormBackwardOptions = {},
): Gradients<Float32Array | Tensor> {
  return backward("groupNormBackward", GROUP_BACKWARD_KEYS, options, dy, x, shape, groupCut("groupNormBackward", numGroups, options));
}

/**
 * Instance norm of (N, C, *) input (layout "NHWC": (N, *, C)) (F.instance_norm). useInputStats (default true): each
 * (n, c) plane by its own statistics, and runningMean / runningVar, if given, updated in
 * place with the batch averages; false: every plane of channel c by the running statistics.
 */
export function instanceNorm(x: Float32Array, shape: readonly number[], options?: InstanceNormFunctionalOptions): NormResult<Float32Array>;
export function instanceNorm(x: Tensor, shape?: readonly number[] | null, options?: InstanceNormFunctionalOptions): NormResult<Tensor>;
export function instanceNorm(
  x: Float32Array | Tensor, shape?: readonly number[] | null, options: InstanceNormFunctionalOptions = {},
): NormResult<Float32Array | Tensor> {
  const where = "instanceNorm";
  const { backend, eps, input, cut, weight } = setup(where, INSTANCE_KEYS, options, x, shape, instanceCut(where, options));
  const momentum = checkMomentum(where, options.momentum === undefined ? 0.1 : options.momentum, false)!;
  const useInputStats = checkBoolean(where, "useInputStats", options.useInputStats ?? true);
  const d = cut.d;
  const bias = optionalArray(where, "bias", options.bias, d.C);
  const running = runningPair(where, options.runningMean, options.runningVar, d.C, useInputStats ? null : "useInputStats is false");
  if (useInputStats) checkSpatialSize(where, d, input.shape);
  const out = resolveOut(where, "out", options.out, input, "x", backend);
  return withWorkspace(backend, (ws) => {
    const { y, saveMean, saveInvstd } = instanceNormForward(ws, {
      where, x: input, dims: d, eps, weight, bias, useInputStats, running, momentum, out,
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
  const useInputStats = checkBoolean(where, "useInputStats", options.useInputStats ?? true);
  if (useInputStats) {
    const check = (shape: readonly number[]) => {
      const c = instanceCut(where, options)(shape);
      checkSpatialSize(where, c.d, shape);
      return c;
    };
    return backward(where, INSTANCE_BACKWARD_KEYS, options, dy, x, shape, check);
  }
  const { backend, eps, input: xIn, cut: { d }, weight } = setup(where, INSTANCE_BACKWARD_KEYS, options, x, shape, instanceCut(where, options));
  const dyIn = resolveInput(where, "dy", dy, xIn.shape, backend);
  const running = runningPair(where, options.runningMean, options.runningVar, d.C, "useInputStats is false")!;
  const stats = { mean: running.mean, invstd: invstdOf(running.var, eps) };
  const dx = resolveOut(where, "dx", options.dx, dyIn, "dy", backend);
  return withWorkspace(backend, (ws) => {
    const context = batchNormContext(ws, where, xIn, { N: d.N, C: d.C, S: d.S, channelsLast: d.channelsLast }, false, false, stats, weight, null);
    return batchNormBackward(ws, where, context, dyIn, true, dx);
  });
}
