// The threaded backend's phases of interleaved batch norm (channels last, or S = 1), cut
// by the statistics blocks of rows (layout.ts blockRows), a grid that does not depend on
// the thread count (src/runtime/threads/channel-plans.ts):
//   1. each thread reduces whole blocks into their slots of a partials area (unit range: blocks);
//   2. the slots are merged in block order, split by channels (unit range: channels);
//   3. each thread maps the rows of the blocks it reduced (unit range: blocks).
// Each step is the one the one-thread kernel takes (batchnorm.ts trainForward / backward,
// split.ts), with the one-thread merge's adds in its order, so the bits are the same. The
// per-channel coefficients (a ReLU backward's mask in step 1, the maps' in step 3) are
// computed by every thread, all C of them, from the same inputs: the racing writes store
// identical bytes. R = N * S rows of C channels.

import { blockRows, rowBlocks } from "./layout";
import { rowStatsMerge } from "./stats";
import { rowApply } from "./apply";
import { rowElemt, rowReduceBlocks, rowReduceMerge } from "./backward";
import { Plain, Relu } from "./mask";
import { endUnit, firstUnit } from "./units";
import { backwardCoefficients, forwardCoefficients, frozenCoefficients } from "./coefficients";
import { forwardMask, unitAffineGrads } from "./batchnorm";
import {
  BIAS, BIAS_AT, INVSTD, MEAN, RELU, SUM_DY, SUM_DY_XMU, TRAINING, VAR, WEIGHT, WEIGHT_AT, coefOf, optional, stat,
} from "./block";

export { rowStatsBlocks as batchNormStatsBlocks } from "./stats";

/** Step 2 of a training forward or channelStats: the block's mean / var over channels [from, to). */
export function batchNormStatsMerge(partials: usize, R: i32, C: i32, block: usize): void {
  rowStatsMerge(partials, R, C, stat(block, C, MEAN), stat(block, C, VAR));
}

/** Step 3 of a training forward: the coefficients and invstd, then y over the rows of blocks [from, to). */
export function batchNormApplyBlocks(x: usize, y: usize, R: i32, C: i32, flags: i32, eps: f64, block: usize): void {
  const coef = coefOf(block, C, C);
  forwardCoefficients(
    C, stat(block, C, MEAN), stat(block, C, VAR), eps, optional(block, C, C, WEIGHT_AT, flags, WEIGHT),
    optional(block, C, C, BIAS_AT, flags, BIAS), coef, stat(block, C, INVSTD),
  );
  const r0 = blockRow(firstUnit(), R, C), r1 = blockRow(endUnit(rowBlocks(R, C)), R, C);
  if (r0 >= r1) return;
  const at = <usize>r0 * (<usize>C << 2);
  rowApply(x + at, y + at, r1 - r0, C, coef, flags & RELU ? 0 : -Infinity);
}

/** Step 1 of a backward (or backwardReduce): blocks [from, to) of the reductions into their slots; RELU: the forward's coefficients first. */
export function batchNormReduceBlocks(dy: usize, x: usize, R: i32, C: i32, flags: i32, block: usize, partials: usize): void {
  const mean64 = stat(block, C, MEAN), coef = coefOf(block, C, C);
  forwardMask(C, flags, block, 0, C);
  if (flags & RELU) {
    rowReduceBlocks<Relu>(dy, x, R, C, mean64, partials, coef);
  } else {
    rowReduceBlocks<Plain>(dy, x, R, C, mean64, partials, coef);
  }
}

/** Step 2: sumDy / sumDyXmu, then dweight / dbias as flagged, over channels [from, to). */
export function batchNormReduceMerge(partials: usize, R: i32, C: i32, flags: i32, block: usize): void {
  rowReduceMerge(partials, R, C, stat(block, C, MEAN), stat(block, C, SUM_DY), stat(block, C, SUM_DY_XMU));
  unitAffineGrads(C, flags, block);
}

/**
 * Step 3 of a backward: the backward's coefficients, then dx over the rows of blocks
 * [from, to): through the batch statistics (TRAINING) or masked by the forward's ReLU, or
 * with frozen statistics the apply map of dy alone.
 */
export function batchNormElemtBlocks(dy: usize, x: usize, dx: usize, R: i32, C: i32, flags: i32, block: usize): void {
  const coef = coefOf(block, C, C), bcoef = coef + <usize>C * 12;
  const mean64 = stat(block, C, MEAN), invstd64 = stat(block, C, INVSTD), weight = optional(block, C, C, WEIGHT_AT, flags, WEIGHT);
  const training = (flags & TRAINING) != 0 ? 1 : 0, relu = flags & RELU;
  if (training || relu) {
    backwardCoefficients(C, training, mean64, invstd64, weight, stat(block, C, SUM_DY), stat(block, C, SUM_DY_XMU), <f64>R, bcoef);
  } else {
    frozenCoefficients(C, invstd64, weight, bcoef);
  }
  const r0 = blockRow(firstUnit(), R, C), r1 = blockRow(endUnit(rowBlocks(R, C)), R, C);
  if (r0 >= r1) return;
  const at = <usize>r0 * (<usize>C << 2);
  if (relu) rowElemt<Relu>(dy + at, x + at, dx + at, r1 - r0, C, bcoef, coef);
  else if (training) rowElemt<Plain>(dy + at, x + at, dx + at, r1 - r0, C, bcoef, coef);
  else rowApply(dy + at, dx + at, r1 - r0, C, bcoef, -Infinity);
}

/** The first row of block b (R past the last block). */
// @ts-ignore: decorator
@inline function blockRow(b: i32, R: i32, C: i32): i32 {
  return <i32>min(<i64>b * <i64>blockRows(C), <i64>R);
}
