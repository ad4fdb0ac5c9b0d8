// The split primitives of data-parallel (synchronized) batch norm, after ATen's
// batch_norm_stats / batch_norm_gather_stats_with_counts / batch_norm_elemt /
// batch_norm_backward_reduce / batch_norm_backward_elemt: the training forward and backward
// of batch norm taken apart at the two points where shards exchange per-channel sums.
//
//   forward:  stats = batchNormStats(shard)            on every shard
//             global = batchNormGatherStats(all stats)  (anywhere: it is C numbers per shard)
//             y = batchNormElemt(shard, global)         on every shard
//   backward: r = batchNormBackwardReduce(dy, shard, global)   on every shard
//             sum r.sumDy and r.sumDyXmu over the shards
//             dx = batchNormBackwardElemt(dy, shard, global, sums, global count)
//
// Per-shard statistics are the mean and the *biased variance* (not ATen's invstd): merging
// needs each shard's sum of squared deviations, and recovering it from invstd as
// 1 / invstd^2 - eps cancels badly when the variance is small next to eps. The merged
// statistics carry invstd too, for the element-wise steps.

import type { Backend, Layout, Region } from "./backend.js";
import { checkChannelArray, checkEps, checkLayout, checkMomentum, checkOptionKeys, describe, dimsOf, fail } from "./checks.js";
import { getDefaultBackend, isBackend } from "./default-backend.js";
import { resolveInput, type Input } from "./input.js";
import { wrapRegion, type Tensor } from "./tensor.js";
import { Workspace } from "./workspace.js";

/** One shard's per-channel statistics (batchNormStats). */
export interface ShardStats {
  /** Mean per channel (float64). */
  mean: Float64Array;
  /** Biased variance per channel (float64): the mean of (x - mean)^2 over the shard. */
  var: Float64Array;
  /** Values per channel in the shard: N times the spatial size. */
  count: number;
}

/** Statistics over all shards (batchNormGatherStats). */
export interface GlobalStats extends ShardStats {
  /** 1 / sqrt(var + eps) per channel (float64). */
  invstd: Float64Array;
}

export interface SplitOptions {
  /** "NCHW" (default) or "NHWC" (channels last). */
  layout?: Layout;
  backend?: Backend;
}

export interface GatherStatsOptions {
  /** Added to the variance for invstd (default 1e-5). */
  eps?: number;
  /** Weight of the batch statistics in the running update (default 0.1). */
  momentum?: number;
  /** Running statistics (Float32Array of C each), updated in place PyTorch's way when given. */
  runningMean?: Float32Array | null;
  runningVar?: Float32Array | null;
}

export interface ElemtOptions extends SplitOptions {
  /** The statistics to normalize with (batchNormGatherStats' mean and invstd). */
  mean: ArrayLike<number>;
  invstd: ArrayLike<number>;
  weight?: ArrayLike<number> | null;
  bias?: ArrayLike<number> | null;
}

export interface BackwardReduceOptions extends SplitOptions {
  /** The statistics of the forward (global ones in data-parallel training). */
  mean: ArrayLike<number>;
  invstd: ArrayLike<number>;
}

export interface BackwardReduceResult {
  /** sum(dy) per channel over this shard (float64). */
  sumDy: Float64Array;
  /** sum(dy * (x - mean)) per channel over this shard (float64). */
  sumDyXmu: Float64Array;
  /** This shard's share of dweight: sumDyXmu * invstd. Sum it over the shards. */
  dweight: Float32Array;
  /** This shard's share of dbias: sumDy. */
  dbias: Float32Array;
}

export interface BackwardElemtOptions extends SplitOptions {
  mean: ArrayLike<number>;
  invstd: ArrayLike<number>;
  weight?: ArrayLike<number> | null;
  /** sum(dy) and sum(dy * (x - mean)) summed over all shards. */
  sumDy: ArrayLike<number>;
  sumDyXmu: ArrayLike<number>;
  /** Values per channel over all shards (GlobalStats.count), not this shard's. */
  count: number;
}

const STATS_KEYS = ["layout", "backend"];
const GATHER_KEYS = ["eps", "momentum", "runningMean", "runningVar"];
const ELEMT_KEYS = ["mean", "invstd", "weight", "bias", "layout", "backend"];
const REDUCE_KEYS = ["mean", "invstd", "weight", "layout", "backend"];
const BACKWARD_ELEMT_KEYS = ["mean", "invstd", "weight", "sumDy", "sumDyXmu", "count", "layout", "backend"];

/** A call's backend, layout, input and dims, checked. */
function setup(where: string, x: unknown, shape: unknown, options: SplitOptions, keys: readonly string[]) {
  checkOptionKeys(where, options, keys);
  const backend = options.backend ?? getDefaultBackend();
  if (!isBackend(backend)) fail(where, "backend must come from createBackend() or createReferenceBackend()");
  const layout = checkLayout(where, options.layout ?? "NCHW");
  const input = resolveInput(where, "x", x, shape, backend);
  if (input.shape.length < 2) fail(where, `x must have at least 2 dimensions (N, C, ...), got shape ${describe(input.shape)}`);
  return { backend, input, d: dimsOf(input.shape, layout) };
}

function required(where: string, name: string, value: unknown, C: number): ArrayLike<number> {
  if (value === undefined || value === null) fail(where, `${name} is required (one value per channel, ${C} values)`);
  return checkChannelArray(where, name, value, C);
}

function optional(where: string, name: string, value: unknown, C: number): ArrayLike<number> | null {
  return value === undefined || value === null ? null : checkChannelArray(where, name, value, C);
}

/** The region holding an input: the tensor's own, or a staging region filled from the array. */
function staged(where: string, input: Input, region: Region | undefined): Region {
  if (input.tensor) return input.tensor.regionFor(where);
  region!.f32().set(input.array!);
  return region!;
}

function loaded(region: Region, values: ArrayLike<number> | null): Region | null {
  if (values === null) return null;
  region.f32().set(values);
  return region;
}

/** An output of x's kind: a Tensor around a fresh region, or a copy out of staging. */
function output(backend: Backend, like: Input, region: Region): Float32Array | Tensor {
  return like.tensor ? wrapRegion(backend, like.shape, like.size, region) : region.f32().slice(0, like.size);
}

/** Mean and biased variance per channel of one shard, with its count (ATen's batch_norm_stats, variance instead of invstd). */
export function batchNormStats(x: Float32Array | Tensor, shape?: readonly number[] | null, options: SplitOptions = {}): ShardStats {
  const where = "batchNormStats";
  const { backend, input, d } = setup(where, x, shape, options, STATS_KEYS);
  const ws = new Workspace(backend, d.C);
  try {
    const { staged: st } = ws.prepare(input.tensor ? [] : [["x", input.size * 4]]);
    backend.channelStats(staged(where, input, st[0]), d, ws.ch);
    return { mean: ws.ch.mean.f64().slice(0, d.C), var: ws.ch.var.f64().slice(0, d.C), count: d.N * d.S };
  } finally {
    ws.dispose();
  }
}

/**
 * Merges (count, mean, M2) triples in order with Chan et al.'s parallel formula, in f64:
 * M2 = M2a + M2b + delta^2 * na * nb / n. Every rank that merges the same shards in the
 * same order gets the same bits.
 */
export function mergeShardStats(shards: readonly ShardStats[], C: number): ShardStats {
  const mean = new Float64Array(C), m2 = new Float64Array(C);
  let n = 0;
  for (const s of shards) {
    const nb = s.count, total = n + nb;
    for (let c = 0; c < C; c++) {
      const delta = s.mean[c] - mean[c];
      mean[c] += delta * (nb / total);
      m2[c] += s.var[c] * nb + delta * delta * (n * nb / total);
    }
    n = total;
  }
  for (let c = 0; c < C; c++) m2[c] /= n;
  return { mean, var: m2, count: n };
}

/**
 * Global statistics from every shard's (ATen's batch_norm_gather_stats_with_counts): mean,
 * biased variance, invstd and the total count; updates runningMean / runningVar in place
 * as PyTorch does, with the unbiased variance of the total count.
 */
export function batchNormGatherStats(shards: readonly ShardStats[], options: GatherStatsOptions = {}): GlobalStats {
  const where = "batchNormGatherStats";
  checkOptionKeys(where, options, GATHER_KEYS);
  if (!Array.isArray(shards) || shards.length === 0) {
    fail(where, `shards must be a non-empty array of batchNormStats results, got ${describe(shards)}`);
  }
  const C = checkShard(where, 0, shards[0], -1);
  shards.forEach((s, i) => checkShard(where, i, s, C));
  const eps = checkEps(where, options.eps ?? 1e-5);
  const momentum = checkMomentum(where, options.momentum ?? 0.1, false)!;
  const running = runningOf(where, options, C);
  const merged = mergeShardStats(shards, C);
  if (running && merged.count < 2) {
    fail(where, `expected more than 1 value per channel over all shards to update the running variance, got ${merged.count}`);
  }
  const invstd = merged.var.map((v) => 1 / Math.sqrt(v + eps));
  if (running) updateRunning(running.mean, running.var, merged, momentum, merged.count / (merged.count - 1));
  return { ...merged, invstd };
}

/** running = (1 - momentum) * running + momentum * batch (variance times varFactor), in f64, rounded once. */
export function updateRunning(
  runMean: Float32Array, runVar: Float32Array, stats: ShardStats, momentum: number, varFactor: number,
): void {
  for (let c = 0; c < runMean.length; c++) {
    runMean[c] = (1 - momentum) * runMean[c] + momentum * stats.mean[c];
    runVar[c] = (1 - momentum) * runVar[c] + momentum * stats.var[c] * varFactor;
  }
}

function checkShard(where: string, i: number, s: unknown, C: number): number {
  const shard = s as ShardStats;
  if (typeof s !== "object" || s === null) fail(where, `shards[${i}] must be { mean, var, count }, got ${describe(s)}`);
  if (typeof shard.count !== "number" || !Number.isInteger(shard.count) || shard.count < 1) {
    fail(where, `shards[${i}].count must be a positive integer, got ${describe(shard.count)}`);
  }
  const len = (v: unknown) => (ArrayBuffer.isView(v) || Array.isArray(v) ? (v as ArrayLike<number>).length : -1);
  const n = C < 0 ? len(shard.mean) : C;
  if (n < 1) fail(where, `shards[${i}].mean must be a Float64Array of one value per channel, got ${describe(shard.mean)}`);
  checkChannelArray(where, `shards[${i}].mean`, shard.mean, n);
  checkChannelArray(where, `shards[${i}].var`, shard.var, n);
  return n;
}

function runningOf(where: string, options: GatherStatsOptions, C: number) {
  const { runningMean: mean, runningVar: variance } = options;
  const none = (v: unknown) => v === undefined || v === null;
  if (none(mean) && none(variance)) return null;
  for (const [name, v] of [["runningMean", mean], ["runningVar", variance]] as const) {
    if (!(v instanceof Float32Array)) fail(where, `${name} must be a Float32Array of length ${C}, got ${describe(v)}`);
    checkChannelArray(where, name, v, C);
  }
  return { mean: mean!, var: variance! };
}

/** y = (x - mean) * invstd * weight + bias per channel with given statistics (ATen's batch_norm_elemt). */
export function batchNormElemt(x: Float32Array, shape: readonly number[], options: ElemtOptions): Float32Array;
export function batchNormElemt(x: Tensor, shape: readonly number[] | null | undefined, options: ElemtOptions): Tensor;
export function batchNormElemt(x: Float32Array | Tensor, shape: readonly number[] | null | undefined, options: ElemtOptions): Float32Array | Tensor {
  const where = "batchNormElemt";
  const { backend, input, d } = setup(where, x, shape, options ?? {}, ELEMT_KEYS);
  const mean = required(where, "mean", options.mean, d.C), invstd = required(where, "invstd", options.invstd, d.C);
  const weight = optional(where, "weight", options.weight, d.C), bias = optional(where, "bias", options.bias, d.C);
  const ws = new Workspace(backend, d.C);
  try {
    const bytes = input.size * 4;
    const { staged: st, fresh } = ws.prepare(input.tensor ? [] : [["x", bytes], ["y", bytes]], input.tensor ? [bytes] : []);
    const xRegion = staged(where, input, st[0]);
    const yRegion = input.tensor ? fresh[0] : st[1];
    setStats(ws, mean, invstd);
    backend.applyStats(xRegion, yRegion, d, loaded(ws.weight, weight), loaded(ws.bias, bias), ws.ch);
    return output(backend, input, yRegion);
  } finally {
    ws.dispose();
  }
}

function setStats(ws: Workspace, mean: ArrayLike<number>, invstd: ArrayLike<number>): void {
  ws.ch.mean.f64().set(mean);
  ws.ch.invstd.f64().set(invstd);
}

/** dy and x of one backward call, staged, with x's dims. */
function backwardSetup(where: string, dy: unknown, x: unknown, shape: unknown, options: SplitOptions, keys: readonly string[]) {
  const s = setup(where, x, shape, options, keys);
  const dyIn = resolveInput(where, "dy", dy, s.input.shape, s.backend);
  if (dyIn.size !== s.input.size || dyIn.shape.some((v, i) => v !== s.input.shape[i])) {
    fail(where, `dy of shape ${describe(dyIn.shape)} does not match x of shape ${describe(s.input.shape)}`);
  }
  return { ...s, dyIn };
}

/**
 * sum(dy) and sum(dy * (x - mean)) per channel of one shard, and its shares of dweight /
 * dbias (ATen's batch_norm_backward_reduce).
 */
export function batchNormBackwardReduce(
  dy: Float32Array | Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined, options: BackwardReduceOptions,
): BackwardReduceResult {
  const where = "batchNormBackwardReduce";
  const { backend, input, dyIn, d } = backwardSetup(where, dy, x, shape, options ?? {}, REDUCE_KEYS);
  const mean = required(where, "mean", options.mean, d.C), invstd = required(where, "invstd", options.invstd, d.C);
  const ws = new Workspace(backend, d.C);
  try {
    const stages: Array<["x" | "dy", number]> = [];
    if (!input.tensor) stages.push(["x", input.size * 4]);
    if (!dyIn.tensor) stages.push(["dy", input.size * 4]);
    const { staged: st } = ws.prepare(stages);
    const xRegion = staged(where, input, input.tensor ? undefined : st[0]);
    const dyRegion = staged(where, dyIn, dyIn.tensor ? undefined : st[stages.length - 1]);
    setStats(ws, mean, invstd);
    backend.backwardReduce(dyRegion, xRegion, d, ws.ch);
    const sumDy = ws.ch.sumDy.f64().slice(0, d.C), sumDyXmu = ws.ch.sumDyXmu.f64().slice(0, d.C);
    return { sumDy, sumDyXmu, ...affineGrads(sumDy, sumDyXmu, invstd) };
  } finally {
    ws.dispose();
  }
}

/** dweight = sumDyXmu * invstd, dbias = sumDy, rounded once to f32. */
export function affineGrads(sumDy: ArrayLike<number>, sumDyXmu: ArrayLike<number>, invstd: ArrayLike<number>) {
  const C = sumDy.length;
  const dweight = new Float32Array(C), dbias = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    dweight[c] = sumDyXmu[c] * invstd[c];
    dbias[c] = sumDy[c];
  }
  return { dweight, dbias };
}

/**
 * dx of one shard through the global batch statistics (ATen's batch_norm_backward_elemt):
 * dx = weight * invstd * (dy - sumDy / count - (x - mean) * invstd^2 * sumDyXmu / count),
 * with the sums and the count over all shards.
 */
export function batchNormBackwardElemt(dy: Float32Array, x: Float32Array | Tensor, shape: readonly number[], options: BackwardElemtOptions): Float32Array;
export function batchNormBackwardElemt(dy: Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined, options: BackwardElemtOptions): Tensor;
export function batchNormBackwardElemt(
  dy: Float32Array | Tensor, x: Float32Array | Tensor, shape: readonly number[] | null | undefined, options: BackwardElemtOptions,
): Float32Array | Tensor {
  const where = "batchNormBackwardElemt";
  const { backend, input, dyIn, d } = backwardSetup(where, dy, x, shape, options ?? {}, BACKWARD_ELEMT_KEYS);
  const mean = required(where, "mean", options.mean, d.C), invstd = required(where, "invstd", options.invstd, d.C);
  const weight = optional(where, "weight", options.weight, d.C);
  const sumDy = required(where, "sumDy", options.sumDy, d.C), sumDyXmu = required(where, "sumDyXmu", options.sumDyXmu, d.C);
  const count = options.count;
  if (typeof count !== "number" || !Number.isInteger(count) || count < d.N * d.S) {
    fail(where, `count must be an integer of at least this shard's ${d.N * d.S} values per channel (the count over all shards), got ${describe(count)}`);
  }
  const ws = new Workspace(backend, d.C);
  try {
    const bytes = input.size * 4;
    const stages: Array<["x" | "dy" | "dx", number]> = [];
    if (!input.tensor) stages.push(["x", bytes]);
    if (!dyIn.tensor) stages.push(["dy", bytes], ["dx", bytes]);
    const { staged: st, fresh } = ws.prepare(stages, dyIn.tensor ? [bytes] : []);
    const at = (name: string) => st[stages.findIndex(([n]) => n === name)];
    const xRegion = staged(where, input, input.tensor ? undefined : at("x"));
    const dyRegion = staged(where, dyIn, dyIn.tensor ? undefined : at("dy"));
    const dxRegion = dyIn.tensor ? fresh[0] : at("dx");
    setStats(ws, mean, invstd);
    ws.ch.sumDy.f64().set(sumDy);
    ws.ch.sumDyXmu.f64().set(sumDyXmu);
    backend.backwardElemt(dyRegion, xRegion, dxRegion, d, loaded(ws.weight, weight), ws.ch, count);
    return output(backend, dyIn, dxRegion);
  } finally {
    ws.dispose();
  }
}

