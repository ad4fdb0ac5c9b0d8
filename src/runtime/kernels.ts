// The kernels, declared once. Each entry names a wasm export of assembly/index.ts, its
// arguments in the export's order, and which arrays it reads and writes (tensor arguments
// and fields of the argument block, see block.ts). The backend interface, the wasm
// bindings and the reference implementation are all typed from this table, and
// test/kernel-abi.test.ts checks every build's exports against it (names, arities, the
// block's size and that each kernel writes only what it declares).
//
// Argument kinds: x / y / dy / dx / residual / sum / dsum are tensors (Regions; dx may be
// null: not wanted; residual, sum and dsum may be null: no residual add); N, C,
// S, G, R, L are dims; flags is a word of FLAGS bits; eps and count are f64 scalars; block
// is the argument block.

import type { Block, BlockField } from "./block.js";
import type { Region } from "./backend.js";

/** The tensors a kernel may read or write, besides the fields of its block. */
type Tensor = "x" | "y" | "dy" | "dx" | "residual" | "sum" | "dsum";

/** Every argument a kernel may take (see the kinds above). */
type Argument = Tensor | "N" | "C" | "S" | "G" | "R" | "L" | "flags" | "eps" | "count" | "block";

/** One declaration: the export's arguments in order, and what it reads and writes. */
function kernel<const A extends readonly Argument[]>(args: A, reads: readonly (Tensor | BlockField)[], writes: readonly (Tensor | BlockField)[]) {
  return { args, reads, writes };
}

export const KERNELS = {
  /** Batch statistics into mean / var (biased) / invstd and y = (x - mean) * invstd * weight + bias (then ReLU). */
  batchNormTrainForward: kernel(
    ["x", "y", "N", "C", "S", "flags", "eps", "block"],
    ["x", "weight", "bias"], ["y", "mean", "var", "invstd", "coef", "scratch"],
  ),
  /** y with runMean / runVar; leaves them widened in mean / var and invstd for a frozen backward. */
  batchNormEvalForward: kernel(
    ["x", "y", "N", "C", "S", "flags", "eps", "block"],
    ["x", "weight", "bias", "runMean", "runVar"], ["y", "mean", "var", "invstd", "coef"],
  ),
  /** Gradients given mean / invstd of the forward: through them (TRAINING) or with them frozen. */
  batchNormBackward: kernel(
    ["dy", "x", "dx", "N", "C", "S", "flags", "block"],
    ["dy", "x", "mean", "invstd", "weight", "bias"], ["dx", "dweight", "dbias", "sumDy", "sumDyXmu", "coef", "scratch"],
  ),
  /** Mean and biased variance per channel (a shard's statistics). */
  channelStats: kernel(
    ["x", "N", "C", "S", "flags", "block"],
    ["x"], ["mean", "var", "coef", "scratch"],
  ),
  /** y = (x - mean) * invstd * weight + bias with given mean / invstd. */
  applyStats: kernel(
    ["x", "y", "N", "C", "S", "flags", "block"],
    ["x", "mean", "invstd", "weight", "bias"], ["y", "coef"],
  ),
  /** sumDy = sum(dy), sumDyXmu = sum(dy * (x - mean)) per channel. */
  backwardReduce: kernel(
    ["dy", "x", "N", "C", "S", "flags", "block"],
    ["dy", "x", "mean"], ["sumDy", "sumDyXmu", "coef", "scratch"],
  ),
  /** dx through batch statistics of `count` values per channel, from mean / invstd and the sums over all shards. */
  backwardElemt: kernel(
    ["dy", "x", "dx", "N", "C", "S", "flags", "count", "block"],
    ["dy", "x", "mean", "invstd", "weight", "sumDy", "sumDyXmu"], ["dx", "coef"],
  ),
  /** Layer norm over R rows of L values: mean / invstd per row (K = R), weight / bias per element (P = L). */
  layerNormForward: kernel(
    ["x", "y", "R", "L", "flags", "eps", "block"],
    ["x", "weight", "bias"], ["y", "mean", "invstd"],
  ),
  /** Layer-norm gradients from the forward's mean / invstd. */
  layerNormBackward: kernel(
    ["dy", "x", "dx", "R", "L", "flags", "block"],
    ["dy", "x", "mean", "invstd", "weight"], ["dx", "dweight", "dbias", "scratch"],
  ),
  /**
   * Group norm of (N, C, S) (flags.channelsLast: (N, S, C)) in G groups: mean / var / invstd
   * per (n, g) (K = N * G), weight / bias per channel (P = C).
   */
  groupNormForward: kernel(
    ["x", "y", "N", "C", "S", "G", "flags", "eps", "block"],
    ["x", "weight", "bias"], ["y", "mean", "var", "invstd", "coef", "scratch"],
  ),
  /** Group-norm gradients from the forward's mean / invstd. */
  groupNormBackward: kernel(
    ["dy", "x", "dx", "N", "C", "S", "G", "flags", "block"],
    ["dy", "x", "mean", "invstd", "weight"], ["dx", "dweight", "dbias", "coef", "scratch"],
  ),
  /**
   * Layer norm (flags.centered) or RMS norm over R rows of L values, of x or, with a residual,
   * of sum = x + residual (+ addBias), which is written: invstd (and mean, centered) per row
   * (K = R), weight / bias / addBias per element (P = L).
   */
  rowNormForward: kernel(
    ["x", "residual", "sum", "y", "R", "L", "flags", "eps", "block"],
    ["x", "residual", "weight", "bias", "addBias"], ["sum", "y", "mean", "invstd"],
  ),
  /** Row-norm gradients from the forward's statistics, x the normalized input; dx gets dsum added, daddBias sums dx. */
  rowNormBackward: kernel(
    ["dy", "x", "dsum", "dx", "R", "L", "flags", "block"],
    ["dy", "x", "dsum", "mean", "invstd", "weight"], ["dx", "dweight", "dbias", "daddBias", "scratch"],
  ),
} as const;

/**
 * Kernels only the threaded backend calls, not ops of a backend: their export's positional
 * arguments. The batch-norm ones are the phases of an interleaved batch norm cut by the
 * statistics blocks of rows (assembly/rowblocks.ts; plans in threads/channel-plans.ts):
 * R = N * S rows; partials is the address of the call's temporary slots (one per block).
 * The row backwards take a `partials` address at the end, where the parameter gradients'
 * f32 sums of each 32-row block go instead of dweight / dbias / daddBias; gradMerge adds
 * `blocks` such slots of `arrays` gradients of P values in block order, over its columns
 * (assembly/blocksums.ts); groupNormParamGrads is group norm's dweight / dbias over its
 * channels from the per-(n, c) sums in the block's scratch (plans in threads/row-plans.ts).
 */
export const THREAD_KERNELS = {
  /** Blocks [from, to) of x's column statistics into their slots. */
  batchNormStatsBlocks: ["x", "R", "C", "partials"],
  /** mean / var of channels [from, to) from every slot, in block order. */
  batchNormStatsMerge: ["partials", "R", "C", "block"],
  /** invstd and the coefficients of all channels, then y over the rows of blocks [from, to). */
  batchNormApplyBlocks: ["x", "y", "R", "C", "flags", "eps", "block"],
  /** Blocks [from, to) of sum(dy), sum(dy * (x - mean)) into their slots. */
  batchNormReduceBlocks: ["dy", "x", "R", "C", "flags", "block", "partials"],
  /** sumDy / sumDyXmu, dweight / dbias (as flagged) of channels [from, to) from every slot, in block order. */
  batchNormReduceMerge: ["partials", "R", "C", "flags", "block"],
  /** The backward's coefficients of all channels, then dx over the rows of blocks [from, to). */
  batchNormElemtBlocks: ["dy", "x", "dx", "R", "C", "flags", "block"],
  layerNormBackwardBlocks: [...KERNELS.layerNormBackward.args, "partials"],
  rowNormBackwardBlocks: [...KERNELS.rowNormBackward.args, "partials"],
  gradMerge: ["partials", "blocks", "arrays", "K", "P", "flags", "block"],
  groupNormParamGrads: ["N", "C", "G", "flags", "block"],
} as const;

export type ThreadKernelName = keyof typeof THREAD_KERNELS;

/** Bits of a kernel's flags argument (assembly/block.ts). */
export const FLAGS = {
  channelsLast: 1,
  /** Backward through the batch statistics (else with them frozen). */
  training: 2,
  /** A ReLU fused after the normalization. */
  relu: 4,
  /** Which optional parameter arrays of the block are present (read) or wanted (written). */
  weight: 8,
  bias: 16,
  dweight: 32,
  dbias: 64,
  /** Row norms: layer norm (mean and variance) rather than RMS norm. */
  centered: 128,
  /** Row norms: addBias present (read) / daddBias wanted (written). */
  addBias: 256,
  daddBias: 512,
} as const;

export type KernelName = keyof typeof KERNELS;
type ArgName<K extends KernelName> = (typeof KERNELS)[K]["args"][number];

/** What one argument of a kernel is on the host. */
type ArgValue<A> = A extends "x" | "y" | "dy" ? Region
  : A extends "dx" | "residual" | "sum" | "dsum" ? Region | null : A extends "block" ? Block : number;

/** A kernel's arguments by name. */
export type KernelArgs<K extends KernelName> = { readonly [A in ArgName<K>]: ArgValue<A> };

/** Every kernel as a function of its named arguments: what a backend implements. */
export type Kernels = { readonly [K in KernelName]: (args: KernelArgs<K>) => void };

