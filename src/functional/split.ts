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

import type { Backend, Layout } from "../runtime/backend.js";
import {
  checkArray, checkEps, checkMomentum, checkOptionKeys, describe, fail, optionalArray, requiredArray, runningPair,
} from "../runtime/checks.js";
import { backendOption } from "../runtime/default-backend.js";
import type { Tensor } from "../runtime/tensor.js";
import { invstdOf, updateRunningStats } from "../ops/running.js";
import { batchDims, checkLayout, resolveInput, resolveOut } from "../ops/shapes.js";
import {
  affineGrads, applyStats, mergeShardStats, shardDx, shardGradSums, shardStats, type ShardStats,
} from "../ops/split.js";
import { withWorkspace } from "../ops/workspace.js";

export type { ShardStats };

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
  /** A Float32Array of x's size that y is written into (and returned). */
  out?: Float32Array | null;
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
  /** A Float32Array of dy's size that dx is written into (and returned). */
  dx?: Float32Array | null;
}

const STATS_KEYS = ["layout", "backend"];
const GATHER_KEYS = ["eps", "momentum", "runningMean", "runningVar"];
const ELEMT_KEYS = ["mean", "invstd", "weight", "bias", "layout", "backend", "out"];
const REDUCE_KEYS = ["mean", "invstd", "weight", "layout", "backend"];
const BACKWARD_ELEMT_KEYS = ["mean", "invstd", "weight", "sumDy", "sumDyXmu", "count", "layout", "backend", "dx"];

/** A call's backend, layout, input and dims, checked. */
function setup(where: string, x: unknown, shape: unknown, options: SplitOptions, keys: readonly string[]) {
  checkOptionKeys(where, options, keys);
  const backend = backendOption(where, options.backend);
  const layout = checkLayout(where, options.layout ?? "NCHW");
  const input = resolveInput(where, "x", x, shape, backend);
  return { backend, input, d: batchDims(where, input.shape, layout) };
}

/** Mean and biased variance per channel of one shard, with its count (ATen's batch_norm_stats, variance instead of invstd). */
export function batchNormStats(x: Float32Array | Tensor, shape?: readonly number[] | null, options: SplitOptions = {}): ShardStats {
  const where = "batchNormStats";
  const { backend, input, d } = setup(where, x, shape, options, STATS_KEYS);
  return withWorkspace(backend, (ws) => shardStats(ws, where, input, d).stats);
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
  const momentum = checkMomentum(where, options.momentum === undefined ? 0.1 : options.momentum, false)!;
  const running = runningPair(where, options.runningMean, options.runningVar, C, null);
  const merged = mergeShardStats(shards, C);
  if (running && merged.count < 2) {
    fail(where, `expected more than 1 value per channel over all shards to update the running variance, got ${merged.count}`);
  }
  const invstd = invstdOf(merged.var, eps);
  if (running) updateRunningStats(running, merged.mean, merged.var, momentum, merged.count / (merged.count - 1));
  return { ...merged, invstd };
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
  checkArray(where, `shards[${i}].mean`, shard.mean, n);
  checkArray(where, `shards[${i}].var`, shard.var, n);
  return n;
}

/** y = (x - mean) * invstd * weight + bias per channel with given statistics (ATen's batch_norm_elemt). */
export function batchNormElemt(x: Float32Array, shape: readonly number[], options: ElemtOptions): Float32Array;
export function batchNormElemt(x: Tensor, shape: readonly number[] | null | undefined, options: ElemtOptions): Tensor;
export function batchNormElemt(x: Float32Array | Tensor, shape: readonly number[] | null | undefined, options: ElemtOptions): Float32Array | Tensor {
  const where = "batchNormElemt";
  const { backend, input, d } = setup(where, x, shape, options ?? {}, ELEMT_KEYS);
  const mean = requiredArray(where, "mean", options.mean, d.C), invstd = requiredArray(where, "invstd", options.invstd, d.C);
  const weight = optionalArray(where, "weight", options.weight, d.C), bias = optionalArray(where, "bias", options.bias, d.C);
  const out = resolveOut(where, "out", options.out, input, "x", backend);
  return withWorkspace(backend, (ws) => applyStats(ws, where, input, input, d, { mean, invstd }, weight, bias, out));
}

/** dy and x of one backward call, checked, with x's dims. */
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
  const mean = requiredArray(where, "mean", options.mean, d.C), invstd = requiredArray(where, "invstd", options.invstd, d.C);
  const { sumDy, sumDyXmu } = withWorkspace(backend, (ws) => shardGradSums(ws, where, dyIn, input, d, mean));
  return { sumDy, sumDyXmu, ...affineGrads(sumDy, sumDyXmu, invstd) };
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
  const mean = requiredArray(where, "mean", options.mean, d.C), invstd = requiredArray(where, "invstd", options.invstd, d.C);
  const weight = optionalArray(where, "weight", options.weight, d.C);
  const sumDy = requiredArray(where, "sumDy", options.sumDy, d.C), sumDyXmu = requiredArray(where, "sumDyXmu", options.sumDyXmu, d.C);
  const count = options.count;
  if (typeof count !== "number" || !Number.isInteger(count) || count < d.N * d.S) {
    fail(where, `count must be an integer of at least this shard's ${d.N * d.S} values per channel (the count over all shards), got ${describe(count)}`);
  }
  const dx = resolveOut(where, "dx", options.dx, dyIn, "dy", backend);
  return withWorkspace(backend, (ws) => shardDx(ws, where, dyIn, dyIn, input, d, { mean, invstd }, weight, { sumDy, sumDyXmu }, count, dx));
}
