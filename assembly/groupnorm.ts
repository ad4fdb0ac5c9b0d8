// Group norm over channels-second (N, C, S) tensors: the C channels of a sample form G
// groups of C / G consecutive channels, and each (sample, group) is one contiguous run of
// L = (C / G) * S floats normalized by its own statistics; weight and bias are per channel.
// Instance norm is the case G = C (one plane per run).
//
// Each run is reduced and then used again right away, while it is in cache. Per channel
// plane the forward is y = (x - shift) * scale + offset and the backward
// dx = (w * dy + b * (x - shift) + k) * invstd, with f64 coefficients rounded once to f32 and shift the
// run's mean rounded to f32 (exact subtraction near the mean; the residue goes to offset / k).

import { runMoments, momentMean, momentM2, runDotSums, dotSumDy, dotSumDyX } from "./rowstats";
import { runApply, runElemt } from "./runmaps";
import {
  BIAS, BIAS_AT, DBIAS, DBIAS_AT, DWEIGHT, DWEIGHT_AT, INVSTD, MEAN, VAR, WEIGHT, WEIGHT_AT, optional, scratchOf, stat,
} from "./block";

/** Runs of at most this many values take the all-f64 backward (see exactRun). */
const EXACT_RUN: i32 = 8;

// @ts-ignore: decorator
@inline function weightAt(weight: usize, c: i32): f64 {
  return weight ? <f64>load<f32>(weight + (<usize>c << 2)) : 1.0;
}

/**
 * Forward: per (n, g) run r = n * G + g, the block's mean[r] / var[r] (biased: instance
 * norm's running statistics need it) / invstd[r] (K = N * G), with per-channel weight /
 * bias (P = C) as flagged.
 */
export function groupNormForward(x: usize, y: usize, N: i32, C: i32, S: i32, G: i32, flags: i32, eps: f64, block: usize): void {
  const K = N * G;
  forwardGroups(
    x, y, N, C, S, G, eps, optional(block, K, C, WEIGHT_AT, flags, WEIGHT), optional(block, K, C, BIAS_AT, flags, BIAS),
    stat(block, K, MEAN), stat(block, K, INVSTD), stat(block, K, VAR),
  );
}

function forwardGroups(
  x: usize, y: usize, N: i32, C: i32, S: i32, G: i32, eps: f64,
  weight: usize, bias: usize, mean64: usize, invstd64: usize, var64: usize,
): void {
  const Cg = C / G;
  const L = Cg * S;
  const planeBytes = <usize>S << 2;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const r = n * G + g;
      const c0 = g * Cg;
      const base = (<usize>n * <usize>C + <usize>c0) * planeBytes;
      runMoments(x + base, L);
      const mean = momentMean();
      const variance = momentM2() / <f64>L;
      const invstd = 1.0 / Math.sqrt(variance + eps);
      const o8 = <usize>r << 3;
      store<f64>(mean64 + o8, mean);
      store<f64>(invstd64 + o8, invstd);
      if (var64) store<f64>(var64 + o8, variance);
      const shift = <f32>mean;
      const resid = mean - <f64>shift;
      for (let j = 0; j < Cg; j++) {
        const c = c0 + j;
        const scale = weightAt(weight, c) * invstd;
        const offset = (bias ? <f64>load<f32>(bias + (<usize>c << 2)) : 0.0) - resid * scale;
        const at = base + <usize>j * planeBytes;
        runApply(x + at, y + at, S, shift, <f32>scale, <f32>offset);
      }
    }
  }
}

/**
 * Backward given the forward's mean64 / invstd64. With g = dy * w[c], over each run:
 *   dx = invstd * (g - mean(g) - xhat * mean(g * xhat)),
 *   dweight[c] = sum of dy * xhat, dbias[c] = sum of dy (over samples and positions).
 * dx may be 0 when not wanted; dweight / dbias are written as flagged; no weight means ones.
 * Block scratch: 2 * N * C f64 (per plane: sum(dy), sum(dy * (x - mean))).
 */
export function groupNormBackward(dy: usize, x: usize, dx: usize, N: i32, C: i32, S: i32, G: i32, flags: i32, block: usize): void {
  const K = N * G;
  backwardGroups(
    dy, x, dx, N, C, S, G, optional(block, K, C, WEIGHT_AT, flags, WEIGHT), optional(block, K, C, DWEIGHT_AT, flags, DWEIGHT),
    optional(block, K, C, DBIAS_AT, flags, DBIAS), stat(block, K, MEAN), stat(block, K, INVSTD), scratchOf(block, K, C),
  );
}

function backwardGroups(
  dy: usize, x: usize, dx: usize, N: i32, C: i32, S: i32, G: i32,
  weight: usize, dweight: usize, dbias: usize, mean64: usize, invstd64: usize, sums: usize,
): void {
  const Cg = C / G;
  const L = Cg * S;
  const invL = 1.0 / <f64>L;
  const planeBytes = <usize>S << 2;
  const NC = <usize>N * <usize>C;
  const sumDy = sums, sumDyXmu = sums + (NC << 3);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const r = n * G + g;
      const c0 = g * Cg;
      const p0 = <usize>n * <usize>C + <usize>c0;
      const base = p0 * planeBytes;
      const mean = load<f64>(mean64 + (<usize>r << 3));
      const invstd = load<f64>(invstd64 + (<usize>r << 3));
      if (L <= EXACT_RUN) {
        exactRun(dy + base, x + base, dx ? dx + base : 0, Cg, S, c0, weight, mean, invstd, sumDy + (p0 << 3), sumDyXmu + (p0 << 3));
        continue;
      }
      const shift = <f32>mean;
      const resid = mean - <f64>shift;
      let sumG: f64 = 0, sumGXmu: f64 = 0;
      for (let j = 0; j < Cg; j++) {
        const at = base + <usize>j * planeBytes;
        runDotSums(dy + at, x + at, S, shift);
        const sd = dotSumDy();
        const sdx = dotSumDyX() - resid * sd;
        const o8 = (p0 + <usize>j) << 3;
        store<f64>(sumDy + o8, sd);
        store<f64>(sumDyXmu + o8, sdx);
        const w = weightAt(weight, c0 + j);
        sumG += w * sd;
        sumGXmu += w * sdx;
      }
      if (!dx) continue;
      // dx = (w * dy + b * (x - shift) + k) * invstd. b is about dy / std: folding invstd
      // into it (about dy / var) would leave the f32 range once the std passes ~1e19.
      const b = -invstd * invstd * sumGXmu * invL;
      const k = -sumG * invL - b * resid;
      for (let j = 0; j < Cg; j++) {
        const at = base + <usize>j * planeBytes;
        runElemt(dy + at, x + at, dx + at, S, shift, <f32>weightAt(weight, c0 + j), <f32>b, <f32>k, <f32>invstd);
      }
    }
  }
  if (dweight || dbias) paramGrads(N, C, G, invstd64, sumDy, sumDyXmu, dweight, dbias);
}

/** dweight[c] = sum over n of invstd[n, g] * sum(dy * (x - mean)); dbias[c] = sum over n of sum(dy). */
function paramGrads(N: i32, C: i32, G: i32, invstd64: usize, sumDy: usize, sumDyXmu: usize, dweight: usize, dbias: usize): void {
  const Cg = C / G;
  for (let c = 0; c < C; c++) {
    let w: f64 = 0, b: f64 = 0;
    for (let n = 0; n < N; n++) {
      const o8 = (<usize>n * <usize>C + <usize>c) << 3;
      w += load<f64>(sumDyXmu + o8) * load<f64>(invstd64 + ((<usize>n * <usize>G + <usize>(c / Cg)) << 3));
      b += load<f64>(sumDy + o8);
    }
    if (dweight) store<f32>(dweight + (<usize>c << 2), <f32>w);
    if (dbias) store<f32>(dbias + (<usize>c << 2), <f32>b);
  }
}

/**
 * One run straight from the definition in f64, for runs of very few values: with two
 * values the exact dx is about eps / var times dy, a difference of O(1) terms that f32
 * coefficients would lose. Writes the per-plane sums too.
 */
function exactRun(
  dy: usize, x: usize, dx: usize, Cg: i32, S: i32, c0: i32, weight: usize,
  mean: f64, invstd: f64, sumDy: usize, sumDyXmu: usize,
): void {
  let sg: f64 = 0, sgx: f64 = 0;
  for (let j = 0; j < Cg; j++) {
    const w = weightAt(weight, c0 + j);
    let sd: f64 = 0, sdx: f64 = 0;
    for (let s = 0; s < S; s++) {
      const q = <usize>(j * S + s) << 2;
      const d = <f64>load<f32>(dy + q);
      sd += d;
      sdx += d * (<f64>load<f32>(x + q) - mean);
    }
    store<f64>(sumDy + (<usize>j << 3), sd);
    store<f64>(sumDyXmu + (<usize>j << 3), sdx);
    sg += w * sd;
    sgx += w * sdx * invstd;
  }
  if (!dx) return;
  const L = <f64>(Cg * S);
  const mg = sg / L, mgx = sgx / L;
  for (let j = 0; j < Cg; j++) {
    const w = weightAt(weight, c0 + j);
    for (let s = 0; s < S; s++) {
      const q = <usize>(j * S + s) << 2;
      const xhat = (<f64>load<f32>(x + q) - mean) * invstd;
      store<f32>(dx + q, <f32>(invstd * (<f64>load<f32>(dy + q) * w - mg - xhat * mgx)));
    }
  }
}
