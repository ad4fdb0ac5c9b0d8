// Fused batch-norm passes. For planar tensors each channel is reduced and then used
// again right away, while its runs are still in cache; for interleaved tensors the
// statistics pass covers every channel at once and the element-wise pass follows.

import { isInterleaved } from "./layout";
import { planeStats, rowStats } from "./stats";
import { planeApply, rowApply, applyChannels } from "./apply";
import { planeReduce, planeElemt, rowReduce, rowElemt, exactBackward } from "./backward";

/** Channels with at most this many values take the all-f64 backward (exactBackward). */
const EXACT_BACKWARD_COUNT: f64 = 8;
import {
  forwardCoefficient, forwardCoefficients, backwardCoefficient, backwardCoefficients,
  affineGrads, widenStats, frozenCoefficients,
} from "./coefficients";

/**
 * Training forward: batch statistics into mean64 / var64 (biased) / invstd64, and
 * y = (x - mean) * invstd * weight + bias. weight / bias may be 0 (no affine).
 * coef: 3 * C f32. scratch: 3 * C f32 + C f64 (interleaved tensors only).
 */
export function batchNormTrainForward(
  x: usize, y: usize, N: i32, C: i32, S: i32, channelsLast: i32, eps: f64,
  weight: usize, bias: usize, mean64: usize, var64: usize, invstd64: usize, coef: usize, scratch: usize,
): void {
  if (isInterleaved(S, channelsLast)) {
    rowStats(x, N * S, C, mean64, var64, scratch);
    forwardCoefficients(C, mean64, var64, eps, weight, bias, coef, invstd64);
    rowApply(x, y, N * S, C, coef);
  } else {
    for (let c = 0; c < C; c++) {
      planeStats(x, N, C, S, c, mean64, var64);
      forwardCoefficient(c, C, mean64, var64, eps, weight, bias, coef, invstd64);
      planeApply(x, y, N, C, S, c, coef);
    }
  }
}

/**
 * Inference forward with the running statistics; also leaves them widened in mean64 /
 * var64 and invstd64 for a frozen-statistics backward.
 */
export function batchNormEvalForward(
  x: usize, y: usize, N: i32, C: i32, S: i32, channelsLast: i32, eps: f64,
  weight: usize, bias: usize, runMean: usize, runVar: usize,
  mean64: usize, var64: usize, invstd64: usize, coef: usize,
): void {
  widenStats(C, runMean, runVar, mean64, var64);
  forwardCoefficients(C, mean64, var64, eps, weight, bias, coef, invstd64);
  applyChannels(x, y, N, C, S, channelsLast, coef);
}

/**
 * Backward. training != 0: batch statistics (mean64, invstd64 from the forward) and the
 * full gradient through them; training == 0: frozen statistics, dx = dy * weight * invstd.
 * Any of dx, dweight, dbias may be 0 when not wanted.
 * coef: 4 * C f32. scratch: 3 * C f32 (interleaved tensors only).
 */
export function batchNormBackward(
  dy: usize, x: usize, dx: usize, N: i32, C: i32, S: i32, channelsLast: i32, training: i32,
  mean64: usize, invstd64: usize, weight: usize, dweight: usize, dbias: usize,
  sumDy64: usize, sumDyXmu64: usize, coef: usize, scratch: usize,
): void {
  const count = <f64>N * <f64>S;
  const needSums = training != 0 || dweight != 0 || dbias != 0;
  if (training && count <= EXACT_BACKWARD_COUNT) {
    exactBackward(dy, x, dx, N, C, S, channelsLast, mean64, invstd64, weight, sumDy64, sumDyXmu64);
  } else if (isInterleaved(S, channelsLast)) {
    const R = N * S;
    if (needSums) rowReduce(dy, x, R, C, mean64, sumDy64, sumDyXmu64, scratch);
    if (dx && training) {
      backwardCoefficients(C, training, mean64, invstd64, weight, sumDy64, sumDyXmu64, count, coef);
      rowElemt(dy, x, dx, R, C, coef);
    }
  } else {
    for (let c = 0; c < C; c++) {
      if (needSums) planeReduce(dy, x, N, C, S, c, mean64, sumDy64, sumDyXmu64);
      if (dx && training) {
        backwardCoefficient(c, C, training, mean64, invstd64, weight, sumDy64, sumDyXmu64, count, coef);
        planeElemt(dy, x, dx, N, C, S, c, coef);
      }
    }
  }
  if (dx && !training) {
    frozenCoefficients(C, invstd64, weight, coef);
    applyChannels(dy, dx, N, C, S, channelsLast, coef);
  }
  affineGrads(C, sumDy64, sumDyXmu64, invstd64, dweight, dbias);
}
