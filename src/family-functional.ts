// The functional API of the normalization family, after ATen: each forward returns the
// output plus the saved statistics (native_layer_norm / native_group_norm style) and each
// backward takes them back. Every call works in a workspace of its own, freed before it
// returns.

import type { Backend } from "./backend.js";
import { runBackward, runForward, type ForwardContext, type Gradients } from "./batchnorm-ops.js";
import { checkBoolean, checkEps, checkMomentum, checkOptionKeys, checkPositiveInteger, describe, fail } from "./checks.js";
import { backendOption, checkNormalizedShape, layerRows } from "./family-checks.js";
import { runFamilyBackward, runFamilyForward, statsCount, type FamilyContext, type Geometry } from "./family-ops.js";
import { FamilyWorkspace } from "./family-workspace.js";
import { groupDims } from "./groupnorm.js";
import { resolveInput, type Input } from "./input.js";
import { checkSpatialSize, instanceDims, updateInstanceRunningStats } from "./instancenorm-ops.js";
import type { Tensor } from "./tensor.js";
import { Workspace } from "./workspace.js";

export interface FamilyResult<T> {
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

export interface FamilyBackwardOptions {
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

export interface InstanceNormBackwardOptions extends FamilyBackwardOptions {
  /** As in the forward: false differentiates with the running statistics frozen (they are then required). */
  useInputStats?: boolean;
  runningMean?: Float32Array | null;
  runningVar?: Float32Array | null;
}

const FORWARD_KEYS = ["weight", "bias", "eps", "backend"];
const BACKWARD_KEYS = ["weight", "saveMean", "saveInvstd", "eps", "backend"];
const INSTANCE_KEYS = [...FORWARD_KEYS, "runningMean", "runningVar", "useInputStats", "momentum"];
const INSTANCE_BACKWARD_KEYS = [...BACKWARD_KEYS, "useInputStats", "runningMean", "runningVar"];

/** An optional parameter array of length n (null when absent). */
function optionalArray(where: string, name: string, value: unknown, n: number, meaning: string): ArrayLike<number> | null {
  if (value === undefined || value === null) return null;
  const ok = value instanceof Float32Array || value instanceof Float64Array ||
    (Array.isArray(value) && value.every((v) => typeof v === "number"));
  if (!ok) fail(where, `${name} must be a Float32Array of length ${n}, got ${describe(value)}`);
  const arr = value as ArrayLike<number>;
  if (arr.length !== n) fail(where, `${name} must have length ${n} (${meaning}), got length ${arr.length}`);
  return arr;
}

function forward(
  where: string, input: Input, geometry: Geometry, eps: number, weight: ArrayLike<number> | null, bias: ArrayLike<number> | null,
  backend: Backend,
): FamilyResult<Float32Array | Tensor> {
  const ws = new FamilyWorkspace(backend);
  try {
    const { y } = runFamilyForward(ws, { where, x: input, geometry, eps, weight, bias });
    const rows = statsCount(geometry);
    return { y, saveMean: ws.get("mean").f64().slice(0, rows), saveInvstd: ws.get("invstd").f64().slice(0, rows) };
  } finally {
    ws.dispose();
  }
}

/** The saved statistics of a backward call: both given (checked), or neither (recomputed). */
function savedStats(where: string, options: FamilyBackwardOptions, rows: number, what: string) {
  const { saveMean, saveInvstd } = options;
  const none = (v: unknown) => v === undefined || v === null;
  if (none(saveMean) && none(saveInvstd)) return null;
  for (const [name, v] of [["saveMean", saveMean], ["saveInvstd", saveInvstd]] as const) {
    if (!(v instanceof Float64Array || v instanceof Float32Array)) {
      fail(where, `${name} must be a Float64Array of length ${rows} (from the forward), got ${describe(v)}; pass both or neither`);
    }
    if (v.length !== rows) fail(where, `${name} must have length ${rows} (${what}), got length ${v.length}`);
  }
  return { mean: saveMean!, invstd: saveInvstd! };
}

function backward(
  where: string, dyIn: Input, xIn: Input, geometry: Geometry, weight: ArrayLike<number> | null,
  saved: { mean: ArrayLike<number>; invstd: ArrayLike<number> } | null, eps: number, backend: Backend,
): Gradients<Float32Array | Tensor> {
  const ws = new FamilyWorkspace(backend);
  try {
    const rows = statsCount(geometry);
    const bytes = xIn.size * 4;
    const needs = [
      ...(xIn.tensor ? [] : [["x", bytes] as const]), ["mean", 8 * rows] as const, ["invstd", 8 * rows] as const,
      ...(saved ? [] : [["y", bytes] as const]),
    ];
    const { regions } = ws.prepare(needs);
    const xRegion = xIn.tensor ? xIn.tensor.regionFor(where) : regions[0];
    if (xIn.array) xRegion.f32().set(xIn.array);
    if (saved) {
      ws.get("mean").f64().set(saved.mean);
      ws.get("invstd").f64().set(saved.invstd);
    } else if (geometry.op === "layer") {
      backend.layerNormForward(xRegion, ws.get("y"), geometry.R, geometry.L, eps, null, null, ws.get("mean"), ws.get("invstd"));
    } else {
      backend.groupNormForward(xRegion, ws.get("y"), geometry.d, eps, null, null, ws.get("mean"), ws.get("invstd"), null);
    }
    const context: FamilyContext = {
      x: xRegion, xTensor: xIn.tensor, shape: xIn.shape, size: xIn.size, geometry, weight: weight && Float32Array.from(weight),
    };
    return runFamilyBackward(ws, where, context, dyIn, true, true);
  } finally {
    ws.dispose();
  }
}

/**
 * Layer norm over the trailing dims normalizedShape of x (F.layer_norm / native_layer_norm):
 * { y, saveMean, saveInvstd } with one statistic per row (the leading dims).
 */
export function layerNorm(x: Float32Array, shape: readonly number[], normalizedShape: number | readonly number[], options?: LayerNormFunctionalOptions): FamilyResult<Float32Array>;
export function layerNorm(x: Tensor, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[], options?: LayerNormFunctionalOptions): FamilyResult<Tensor>;
export function layerNorm(
  x: Float32Array | Tensor, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[],
  options: LayerNormFunctionalOptions = {},
): FamilyResult<Float32Array | Tensor> {
  const where = "layerNorm";
  checkOptionKeys(where, options, FORWARD_KEYS);
  const backend = backendOption(where, options.backend);
  const ns = checkNormalizedShape(where, normalizedShape);
  const eps = checkEps(where, options.eps ?? 1e-5);
  const input = resolveInput(where, "x", x, shape, backend);
  const { R, L } = layerRows(where, input.shape, ns);
  const meaning = `one value per element of normalizedShape [${ns.join(", ")}]`;
  const weight = optionalArray(where, "weight", options.weight, L, meaning);
  const bias = optionalArray(where, "bias", options.bias, L, meaning);
  return forward(where, input, { op: "layer", R, L }, eps, weight, bias, backend);
}

/** Gradients of layerNorm: { dx (dy's kind), dweight = sum(dy * xhat), dbias = sum(dy) } over the rows. */
export function layerNormBackward(dy: Float32Array, x: Float32Array | Tensor, shape: readonly number[], normalizedShape: number | readonly number[], options?: FamilyBackwardOptions): Gradients<Float32Array>;
export function layerNormBackward(dy: Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined, normalizedShape: number | readonly number[], options?: FamilyBackwardOptions): Gradients<Tensor>;
export function layerNormBackward(
  dy: Float32Array | Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined,
  normalizedShape: number | readonly number[], options: FamilyBackwardOptions = {},
): Gradients<Float32Array | Tensor> {
  const where = "layerNormBackward";
  checkOptionKeys(where, options, BACKWARD_KEYS);
  const backend = backendOption(where, options.backend);
  const ns = checkNormalizedShape(where, normalizedShape);
  const eps = checkEps(where, options.eps ?? 1e-5);
  const xIn = resolveInput(where, "x", x, shape, backend);
  const dyIn = resolveInput(where, "dy", dy, xIn.shape, backend);
  const { R, L } = layerRows(where, xIn.shape, ns);
  const weight = optionalArray(where, "weight", options.weight, L, `one value per element of normalizedShape [${ns.join(", ")}]`);
  const saved = savedStats(where, options, R, "one value per row");
  return backward(where, dyIn, xIn, { op: "layer", R, L }, weight, saved, eps, backend);
}

/** Group norm of (N, C, *) input in numGroups groups (F.group_norm / native_group_norm): statistics per (n, g). */
export function groupNorm(x: Float32Array, shape: readonly number[], numGroups: number, options?: GroupNormFunctionalOptions): FamilyResult<Float32Array>;
export function groupNorm(x: Tensor, shape: readonly number[] | null | undefined, numGroups: number, options?: GroupNormFunctionalOptions): FamilyResult<Tensor>;
export function groupNorm(
  x: Float32Array | Tensor, shape: readonly number[] | null | undefined, numGroups: number, options: GroupNormFunctionalOptions = {},
): FamilyResult<Float32Array | Tensor> {
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
export function groupNormBackward(dy: Float32Array, x: Float32Array | Tensor, shape: readonly number[], numGroups: number, options?: FamilyBackwardOptions): Gradients<Float32Array>;
export function groupNormBackward(dy: Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined, numGroups: number, options?: FamilyBackwardOptions): Gradients<Tensor>;
export function groupNormBackward(
  dy: Float32Array | Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined, numGroups: number,
  options: FamilyBackwardOptions = {},
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
  const saved = savedStats(where, options, d.N * G, "one value per sample and group");
  return backward(where, dyIn, xIn, { op: "group", d }, weight, saved, eps, backend);
}

/** runningMean / runningVar: both Float32Arrays of length C, or both absent. */
function runningPair(where: string, mean: unknown, variance: unknown, C: number, required: boolean) {
  const none = (v: unknown) => v === undefined || v === null;
  if (none(mean) && none(variance)) {
    if (required) fail(where, "runningMean and runningVar are required when useInputStats is false");
    return null;
  }
  for (const [name, v] of [["runningMean", mean], ["runningVar", variance]] as const) {
    if (!(v instanceof Float32Array)) fail(where, `${name} must be a Float32Array of length ${C}, got ${describe(v)}`);
    if (v.length !== C) fail(where, `${name} must have length ${C} (one value per channel), got length ${v.length}`);
  }
  return { mean: mean as Float32Array, var: variance as Float32Array };
}

/**
 * Instance norm of (N, C, *) input (F.instance_norm). useInputStats (default true): each
 * (n, c) plane by its own statistics, and runningMean / runningVar, if given, updated in
 * place with the batch averages; false: every plane of channel c by the running statistics.
 */
export function instanceNorm(x: Float32Array, shape: readonly number[], options?: InstanceNormFunctionalOptions): FamilyResult<Float32Array>;
export function instanceNorm(x: Tensor, shape?: readonly number[] | null, options?: InstanceNormFunctionalOptions): FamilyResult<Tensor>;
export function instanceNorm(
  x: Float32Array | Tensor, shape?: readonly number[] | null, options: InstanceNormFunctionalOptions = {},
): FamilyResult<Float32Array | Tensor> {
  const where = "instanceNorm";
  checkOptionKeys(where, options, INSTANCE_KEYS);
  const backend = backendOption(where, options.backend);
  const eps = checkEps(where, options.eps ?? 1e-5);
  const momentum = checkMomentum(where, options.momentum ?? 0.1, false)!;
  const useInputStats = checkBoolean(where, "useInputStats", options.useInputStats ?? true);
  const input = resolveInput(where, "x", x, shape, backend);
  const d = instanceDims(where, input.shape, null, null);
  const C = d.group.C;
  const weight = optionalArray(where, "weight", options.weight, C, "one value per channel");
  const bias = optionalArray(where, "bias", options.bias, C, "one value per channel");
  const running = runningPair(where, options.runningMean, options.runningVar, C, !useInputStats);
  if (useInputStats) {
    checkSpatialSize(where, d, input.shape);
    const ws = new FamilyWorkspace(backend);
    try {
      const { y } = runFamilyForward(ws, {
        where, x: input, geometry: { op: "group", d: d.group }, eps, weight, bias, variance: running !== null,
      });
      const rows = d.group.N * C;
      const mean = ws.get("mean").f64();
      if (running) updateInstanceRunningStats(d.group, mean, ws.get("var").f64(), running.mean, running.var, momentum);
      return { y, saveMean: mean.slice(0, rows), saveInvstd: ws.get("invstd").f64().slice(0, rows) };
    } finally {
      ws.dispose();
    }
  }
  const ws = new Workspace(backend, C);
  try {
    const { y } = runForward(ws, {
      where, x: input, dims: d.channels, eps, batchStats: false, weight, bias,
      running: { mean: running!.mean, var: running!.var, momentum: 0, varFactor: 1 }, relu: false,
    });
    return { y, saveMean: ws.ch.mean.f64().slice(0, C), saveInvstd: ws.ch.invstd.f64().slice(0, C) };
  } finally {
    ws.dispose();
  }
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
  const C = d.group.C;
  const weight = optionalArray(where, "weight", options.weight, C, "one value per channel");
  if (useInputStats) {
    checkSpatialSize(where, d, xIn.shape);
    const saved = savedStats(where, options, d.group.N * C, "one value per sample and channel");
    return backward(where, dyIn, xIn, { op: "group", d: d.group }, weight, saved, eps, backend);
  }
  const running = runningPair(where, options.runningMean, options.runningVar, C, true)!;
  const ws = new Workspace(backend, C);
  try {
    const { staged } = ws.prepare(xIn.tensor ? [] : [["x", xIn.size * 4]]);
    const xRegion = xIn.tensor ? xIn.tensor.regionFor(where) : staged[0];
    if (xIn.array) xRegion.f32().set(xIn.array);
    ws.ch.mean.f64().set(running.mean);
    ws.ch.invstd.f64().set(Array.from(running.var, (v) => 1 / Math.sqrt(v + eps)));
    const context: ForwardContext = {
      x: xRegion, xTensor: xIn.tensor, shape: xIn.shape, size: xIn.size, dims: d.channels, batchStats: false,
      weight: weight && Float32Array.from(weight), bias: null, relu: false,
    };
    return runBackward(ws, where, context, dyIn, true);
  } finally {
    ws.dispose();
  }
}
