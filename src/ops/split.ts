// The split primitives of data-parallel batch norm over a Workspace, shared by the
// functional split API and SyncBatchNorm: the training forward and backward taken apart at
// the two points where shards exchange per-channel sums.

import type { Dims } from "../runtime/backend.js";
import type { SavedStats } from "../runtime/checks.js";
import { FLAGS } from "../runtime/kernels.js";
import type { Tensor } from "../runtime/tensor.js";
import type { Input, Out } from "./shapes.js";
import { OUT, type Operand, type StagedInput, type Workspace } from "./workspace.js";

/** One shard's per-channel statistics. */
export interface ShardStats {
  /** Mean per channel (float64). */
  mean: Float64Array;
  /** Biased variance per channel (float64): the mean of (x - mean)^2 over the shard. */
  var: Float64Array;
  /** Values per channel in the shard: N times the spatial size. */
  count: number;
}

/** The block of a split call: K = P = C, scratch for interleaved statistics. */
const blockOf = (C: number) => [C, C, 20 * C] as const;
const layoutFlag = (d: Dims) => (d.channelsLast ? FLAGS.channelsLast : 0);

/** Mean and biased variance per channel of a shard; `x` is where the shard now is (for applyStats). @internal */
export function shardStats(ws: Workspace, where: string, x: Input, d: Dims): { stats: ShardStats; x: Operand } {
  const call = ws.stage(where, { block: blockOf(d.C), inputs: [["x", x]] });
  ws.backend.channelStats({ x: call.inputs[0], N: d.N, C: d.C, S: d.S, flags: layoutFlag(d), block: call.block });
  const stats = { mean: call.block.stat("mean").slice(), var: call.block.stat("var").slice(), count: d.N * d.S };
  return { stats, x: x.tensor ? x : call.inputs[0] };
}

/** Merges (count, mean, M2) triples in order with Chan et al.'s parallel formula, in f64: every rank gets the same bits. @internal */
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

/** y = (x - mean) * invstd * weight + bias with given statistics; y takes `like`'s kind, or goes to `out`. @internal */
export function applyStats(
  ws: Workspace, where: string, x: Operand, like: Input, d: Dims, stats: SavedStats,
  weight: ArrayLike<number> | null, bias: ArrayLike<number> | null, out: Out | null = null,
): Float32Array | Tensor {
  const call = ws.stage(where, { block: blockOf(d.C), inputs: [["x", x]], outputs: [[OUT, like, out]] });
  const b = call.block;
  b.stat("mean").set(stats.mean);
  b.stat("invstd").set(stats.invstd);
  if (weight) b.param("weight").set(weight);
  if (bias) b.param("bias").set(bias);
  const flags = layoutFlag(d) | (weight ? FLAGS.weight : 0) | (bias ? FLAGS.bias : 0);
  ws.backend.applyStats({ x: call.inputs[0], y: call.outputs[0], N: d.N, C: d.C, S: d.S, flags, block: b });
  return call.result(0);
}

/** The tensors of a backward step: dy, and x (a caller's input or the forward's staged x). */
function backwardInputs(dy: Operand, x: Operand): StagedInput[] {
  return [["dy", dy], ["x", x, "x of the forward"]];
}

/** sum(dy) and sum(dy * (x - mean)) per channel of a shard, in float64; `dy` is where dy now is (for shardDx). @internal */
export function shardGradSums(
  ws: Workspace, where: string, dy: Input, x: Operand, d: Dims, mean: ArrayLike<number>,
): { sumDy: Float64Array; sumDyXmu: Float64Array; dy: Operand } {
  const call = ws.stage(where, { block: blockOf(d.C), inputs: backwardInputs(dy, x) });
  const b = call.block;
  b.stat("mean").set(mean);
  ws.backend.backwardReduce({ dy: call.inputs[0], x: call.inputs[1], N: d.N, C: d.C, S: d.S, flags: layoutFlag(d), block: b });
  return { sumDy: b.stat("sumDy").slice(), sumDyXmu: b.stat("sumDyXmu").slice(), dy: dy.tensor ? dy : call.inputs[0] };
}

/** dx of a shard through the statistics of `count` values per channel and the sums over all shards; dx takes `like`'s kind, or goes to `out`. @internal */
export function shardDx(
  ws: Workspace, where: string, dy: Operand, like: Input, x: Operand, d: Dims, stats: SavedStats, weight: ArrayLike<number> | null,
  sums: { sumDy: ArrayLike<number>; sumDyXmu: ArrayLike<number> }, count: number, out: Out | null = null,
): Float32Array | Tensor {
  const call = ws.stage(where, { block: blockOf(d.C), inputs: backwardInputs(dy, x), outputs: [[OUT, like, out]] });
  const b = call.block;
  b.stat("mean").set(stats.mean);
  b.stat("invstd").set(stats.invstd);
  b.stat("sumDy").set(sums.sumDy);
  b.stat("sumDyXmu").set(sums.sumDyXmu);
  if (weight) b.param("weight").set(weight);
  const flags = layoutFlag(d) | (weight ? FLAGS.weight : 0);
  ws.backend.backwardElemt({
    dy: call.inputs[0], x: call.inputs[1], dx: call.outputs[0], N: d.N, C: d.C, S: d.S, flags, count, block: b,
  });
  return call.result(0);
}

/** dweight = sumDyXmu * invstd, dbias = sumDy, rounded once to f32. @internal */
export function affineGrads(sumDy: ArrayLike<number>, sumDyXmu: ArrayLike<number>, invstd: ArrayLike<number>) {
  const C = sumDy.length;
  const dweight = new Float32Array(C), dbias = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    dweight[c] = sumDyXmu[c] * invstd[c];
    dbias[c] = sumDy[c];
  }
  return { dweight, dbias };
}
