// The split primitives of data-parallel batch norm (src/ops/split.ts): the training
// forward and backward taken apart where shards exchange per-channel sums. Block: K = P = C.

import { applyChannels } from "./apply";
import { elemtChannels, reduceChannels } from "./backward";
import {
  BIAS, BIAS_AT, CHANNELS_LAST, INVSTD, MEAN, SUM_DY, SUM_DY_XMU, VAR, WEIGHT, WEIGHT_AT, coefOf, optional, stat,
} from "./block";
import { applyCoefficients, backwardCoefficients } from "./coefficients";
import { momentsOfChannels } from "./stats";
import { oneSlot } from "./layout";
import { Plain } from "./mask";

/** Mean and biased variance per channel into the block's mean / var (an interleaved tensor's blocks reduced in coef and scratch). */
export function channelStats(x: usize, N: i32, C: i32, S: i32, flags: i32, block: usize): void {
  momentsOfChannels(x, N, C, S, flags & CHANNELS_LAST, stat(block, C, MEAN), stat(block, C, VAR), oneSlot(coefOf(block, C, C), C));
}

/** y = (x - mean) * invstd * weight + bias with the block's mean / invstd (given, not computed). */
export function applyStats(x: usize, y: usize, N: i32, C: i32, S: i32, flags: i32, block: usize): void {
  const coef = coefOf(block, C, C);
  applyCoefficients(
    C, stat(block, C, MEAN), stat(block, C, INVSTD), optional(block, C, C, WEIGHT_AT, flags, WEIGHT),
    optional(block, C, C, BIAS_AT, flags, BIAS), coef,
  );
  applyChannels(x, y, N, C, S, flags & CHANNELS_LAST, coef, -Infinity);
}

/** The block's sumDy = sum(dy) and sumDyXmu = sum(dy * (x - mean)) per channel. */
export function backwardReduce(dy: usize, x: usize, N: i32, C: i32, S: i32, flags: i32, block: usize): void {
  reduceChannels<Plain>(
    dy, x, N, C, S, flags & CHANNELS_LAST, stat(block, C, MEAN), stat(block, C, SUM_DY), stat(block, C, SUM_DY_XMU),
    oneSlot(coefOf(block, C, C), C), 0,
  );
}

/**
 * dx through batch statistics of `count` values per channel (all shards together), from the
 * block's mean / invstd and its sums over all shards.
 */
export function backwardElemt(dy: usize, x: usize, dx: usize, N: i32, C: i32, S: i32, flags: i32, count: f64, block: usize): void {
  const coef = coefOf(block, C, C);
  backwardCoefficients(
    C, 1, stat(block, C, MEAN), stat(block, C, INVSTD), optional(block, C, C, WEIGHT_AT, flags, WEIGHT),
    stat(block, C, SUM_DY), stat(block, C, SUM_DY_XMU), count, coef,
  );
  elemtChannels<Plain>(dy, x, dx, N, C, S, flags & CHANNELS_LAST, coef, 0);
}
