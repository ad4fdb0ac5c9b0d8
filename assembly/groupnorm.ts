// Group norm over (N, C, S) tensors, channels second or (flag CHANNELS_LAST) channels last:
// the C channels of a sample form G groups of Cg = C / G consecutive channels, and each
// (sample, group) of L = Cg * S values is normalized by its own statistics; weight and
// bias are per channel. Instance norm is the case G = C.
//
// Channels second, each (sample, group) is one contiguous run, reduced and then used again
// right away, while it is in cache. Channels last, a sample is S rows of C floats: its
// per-channel moments come from batch norm's column statistics (stats.ts rowStats) and are
// merged into group moments in f64 with Chan's formula; the backward's per-channel sums are
// f32 lanes across the channels over chunks of rows, widened to f64. Then one pass over the
// sample's rows, while it is still in cache, applies per-channel coefficients.
//
// Per channel the forward is y = (x - shift) * scale + offset and the backward
// dx = (w * dy + b * (x - shift) + k) * invstd, with f64 coefficients rounded once to f32 and
// shift the group's mean rounded to f32 (exact subtraction near the mean; the residue goes
// to offset / k). Both layouts take them from the same functions (forwardCoefs,
// backwardCoefs), one f32 per channel in the block's coef array.

import { runMoments, momentMean, momentM2, runDotSums, dotSumDy, dotSumDyX } from "./rowstats";
import { runApply, runElemt } from "./runmaps";
import { rowStats } from "./stats";
import { rowApplyRows } from "./apply";
import { rowReduceChunk } from "./backward";
import { Plain } from "./mask";
import { ROW_CHUNK, groupedReduction } from "./layout";
import { endUnit, firstUnit } from "./units";
import {
  BIAS, BIAS_AT, CHANNELS_LAST, DBIAS, DBIAS_AT, DWEIGHT, DWEIGHT_AT, INVSTD, MEAN, VAR, WEIGHT, WEIGHT_AT,
  coefOf, optional, scratchOf, stat,
} from "./block";

/** Runs of at most this many values take the all-f64 backward (see exactRun). */
const EXACT_RUN: i32 = 8;
/** Channels-last groups of at most this many values get their moments in f64 throughout (as rowstats.ts's short runs). */
const SHORT_GROUP: i32 = 16;

// The coef array: C floats each of the per-channel coefficients (the forward's shift, scale,
// offset; the backward's shift, w, b, k, invstd) and of the backward's f32 partial sums.
const SHIFT: i32 = 0, SCALE: i32 = 1, OFFSET: i32 = 2, W: i32 = 1, B: i32 = 2, K_: i32 = 3, INV: i32 = 4, PART_DY: i32 = 5, PART_DYX: i32 = 6;

// @ts-ignore: decorator
@inline function coefArray(coef: usize, C: i32, i: i32): usize {
  return coef + ((<usize>i * <usize>C) << 2);
}

// @ts-ignore: decorator
@inline function weightAt(weight: usize, c: i32): f64 {
  return weight ? <f64>load<f32>(weight + (<usize>c << 2)) : 1.0;
}

/**
 * Forward: per (n, g) run r = n * G + g, the block's mean[r] / var[r] (biased: instance
 * norm's running statistics need it) / invstd[r] (K = N * G), with per-channel weight /
 * bias (P = C) as flagged. Channels last: (N, S, C) memory. Coef: 3 * C f32; scratch
 * (channels last): 28 * C bytes (per-channel mean and variance in f64, rowStats's 3 * C f32).
 */
export function groupNormForward(x: usize, y: usize, N: i32, C: i32, S: i32, G: i32, flags: i32, eps: f64, block: usize): void {
  const K = N * G;
  const weight = optional(block, K, C, WEIGHT_AT, flags, WEIGHT), bias = optional(block, K, C, BIAS_AT, flags, BIAS);
  const mean64 = stat(block, K, MEAN), invstd64 = stat(block, K, INVSTD), var64 = stat(block, K, VAR);
  const coef = coefOf(block, K, C), scratch = scratchOf(block, K, C);
  // With one position per sample both layouts are the same memory.
  const last = (flags & CHANNELS_LAST) != 0 && S > 1, grouped = groupedReduction(N * S, C, 1);
  for (let n = 0; n < N; n++) {
    const at = <usize>n * ((<usize>C * <usize>S) << 2), st = <usize>(n * G) << 3;
    if (last) forwardSampleLast(x + at, y + at, C, S, G, eps, weight, bias, mean64 + st, invstd64 + st, var64 + st, coef, scratch, grouped);
    else forwardSample(x + at, y + at, C, S, G, eps, weight, bias, mean64 + st, invstd64 + st, var64 + st, coef);
  }
}

/** Stores run r's mean, variance and invstd; returns the invstd. */
function storeStats(r: i32, mean: f64, variance: f64, eps: f64, mean64: usize, invstd64: usize, var64: usize): f64 {
  const invstd = 1.0 / Math.sqrt(variance + eps);
  const o8 = <usize>r << 3;
  store<f64>(mean64 + o8, mean);
  store<f64>(invstd64 + o8, invstd);
  store<f64>(var64 + o8, variance);
  return invstd;
}

/** The forward's shift / scale / offset of channels c0 .. c0 + Cg of a group with this mean and invstd. */
function forwardCoefs(weight: usize, bias: usize, c0: i32, Cg: i32, mean: f64, invstd: f64, coef: usize, C: i32): void {
  const shift = <f32>mean;
  const resid = mean - <f64>shift;
  for (let c = c0; c < c0 + Cg; c++) {
    const scale = weightAt(weight, c) * invstd;
    const offset = (bias ? <f64>load<f32>(bias + (<usize>c << 2)) : 0.0) - resid * scale;
    const o = <usize>c << 2;
    store<f32>(coefArray(coef, C, SHIFT) + o, shift);
    store<f32>(coefArray(coef, C, SCALE) + o, <f32>scale);
    store<f32>(coefArray(coef, C, OFFSET) + o, <f32>offset);
  }
}

/** One sample's (C, S) groups, each a contiguous run; statistics at index g of mean64 / invstd64 / var64. */
function forwardSample(
  x: usize, y: usize, C: i32, S: i32, G: i32, eps: f64,
  weight: usize, bias: usize, mean64: usize, invstd64: usize, var64: usize, coef: usize,
): void {
  const Cg = C / G;
  const planeBytes = <usize>S << 2;
  for (let g = 0; g < G; g++) {
    const c0 = g * Cg;
    const base = <usize>c0 * planeBytes;
    runMoments(x + base, Cg * S);
    const mean = momentMean();
    const invstd = storeStats(g, mean, momentM2() / <f64>(Cg * S), eps, mean64, invstd64, var64);
    forwardCoefs(weight, bias, c0, Cg, mean, invstd, coef, C);
    for (let c = c0; c < c0 + Cg; c++) {
      const at = base + <usize>(c - c0) * planeBytes, o = <usize>c << 2;
      runApply(
        x + at, y + at, S, load<f32>(coefArray(coef, C, SHIFT) + o), load<f32>(coefArray(coef, C, SCALE) + o),
        load<f32>(coefArray(coef, C, OFFSET) + o),
      );
    }
  }
}

// Moments of the last exactMoments call.
let exactMean: f64 = 0;
let exactM2: f64 = 0;

/** Mean and M2 of Cg * S floats (element (j, s) at p + j * jStride + s * sStride), two passes in f64. */
function exactMoments(p: usize, Cg: i32, S: i32, jStride: usize, sStride: usize): void {
  let sum: f64 = 0;
  for (let j = 0; j < Cg; j++) {
    for (let s = 0; s < S; s++) sum += <f64>load<f32>(p + <usize>j * jStride + <usize>s * sStride);
  }
  const mean = sum / <f64>(Cg * S);
  let m2: f64 = 0;
  for (let j = 0; j < Cg; j++) {
    for (let s = 0; s < S; s++) {
      const d = <f64>load<f32>(p + <usize>j * jStride + <usize>s * sStride) - mean;
      m2 += d * d;
    }
  }
  exactMean = mean;
  exactM2 = m2;
}

/** One channels-last sample, S rows of C floats: per-channel moments (rowStats) merged into groups, then one apply pass over its rows. */
function forwardSampleLast(
  x: usize, y: usize, C: i32, S: i32, G: i32, eps: f64,
  weight: usize, bias: usize, mean64: usize, invstd64: usize, var64: usize, coef: usize, scratch: usize, grouped: bool,
): void {
  const Cg = C / G;
  const L = Cg * S;
  const rowBytes = <usize>C << 2;
  const chMean = scratch, chVar = scratch + (<usize>C << 3);
  const short = L <= SHORT_GROUP;
  if (!short) rowStats(x, S, C, 0, C, chMean, chVar, scratch + (<usize>C << 4), grouped);
  for (let g = 0; g < G; g++) {
    const c0 = g * Cg;
    let mean: f64 = 0, m2: f64 = 0;
    if (short) {
      exactMoments(x + (<usize>c0 << 2), Cg, S, 4, rowBytes);
      mean = exactMean;
      m2 = exactM2;
    } else {
      // Chan's merge of Cg channels of S values each.
      for (let c = c0; c < c0 + Cg; c++) mean += load<f64>(chMean + (<usize>c << 3));
      mean /= <f64>Cg;
      for (let c = c0; c < c0 + Cg; c++) {
        const d = load<f64>(chMean + (<usize>c << 3)) - mean;
        m2 += <f64>S * (load<f64>(chVar + (<usize>c << 3)) + d * d);
      }
    }
    const invstd = storeStats(g, mean, m2 / <f64>L, eps, mean64, invstd64, var64);
    forwardCoefs(weight, bias, c0, Cg, mean, invstd, coef, C);
  }
  rowApplyRows(x, y, S, C, coef, -Infinity);
}

/**
 * Backward given the forward's mean64 / invstd64. With g = dy * w[c], over each run:
 *   dx = invstd * (g - mean(g) - xhat * mean(g * xhat)),
 *   dweight[c] = sum of dy * xhat, dbias[c] = sum of dy (over samples and positions).
 * dx may be 0 when not wanted; dweight / dbias are written as flagged; no weight means ones.
 * Coef: 7 * C f32. Block scratch: 2 * N * C f64 (per plane: sum(dy), sum(dy * (x - mean))).
 */
export function groupNormBackward(dy: usize, x: usize, dx: usize, N: i32, C: i32, S: i32, G: i32, flags: i32, block: usize): void {
  const K = N * G;
  const weight = optional(block, K, C, WEIGHT_AT, flags, WEIGHT);
  const dweight = optional(block, K, C, DWEIGHT_AT, flags, DWEIGHT), dbias = optional(block, K, C, DBIAS_AT, flags, DBIAS);
  const mean64 = stat(block, K, MEAN), invstd64 = stat(block, K, INVSTD);
  const sumDy = scratchOf(block, K, C), sumDyXmu = sumDy + ((<usize>N * <usize>C) << 3);
  const coef = coefOf(block, K, C);
  const last = (flags & CHANNELS_LAST) != 0 && S > 1, grouped = groupedReduction(N * S, C, 2);
  for (let n = 0; n < N; n++) {
    const at = <usize>n * ((<usize>C * <usize>S) << 2), st = <usize>(n * G) << 3, su = (<usize>n * <usize>C) << 3;
    const dxs = dx ? dx + at : 0;
    if (last) backwardSampleLast(dy + at, x + at, dxs, C, S, G, weight, mean64 + st, invstd64 + st, sumDy + su, sumDyXmu + su, coef, grouped);
    else backwardSample(dy + at, x + at, dxs, C, S, G, weight, mean64 + st, invstd64 + st, sumDy + su, sumDyXmu + su, coef);
  }
  if (dweight || dbias) paramGrads(N, C, G, invstd64, sumDy, sumDyXmu, dweight, dbias, 0, C);
}

/**
 * The threaded backend's second phase of a backward cut by samples, whose threads ran
 * groupNormBackward without DWEIGHT / DBIAS and left their per-(n, c) sums in this block's
 * scratch: dweight / dbias as flagged, over this instance's channels (units.ts), summed over
 * the samples in order as in the one-thread call.
 */
export function groupNormParamGrads(N: i32, C: i32, G: i32, flags: i32, block: usize): void {
  const K = N * G;
  const sumDy = scratchOf(block, K, C);
  paramGrads(
    N, C, G, stat(block, K, INVSTD), sumDy, sumDy + ((<usize>N * <usize>C) << 3),
    optional(block, K, C, DWEIGHT_AT, flags, DWEIGHT), optional(block, K, C, DBIAS_AT, flags, DBIAS), firstUnit(), endUnit(C),
  );
}

/**
 * The backward's per-channel shift / w / b / k / invstd of channels c0 .. c0 + Cg of a group
 * of L values, from its per-channel sums sd[j] = sum(dy) and sdx[j] = sum(dy * (x - shift)),
 * which leave with sdx[j] = sum(dy * (x - mean)).
 */
function backwardCoefs(weight: usize, c0: i32, Cg: i32, L: i32, mean: f64, invstd: f64, sd: usize, sdx: usize, coef: usize, C: i32): void {
  const shift = <f32>mean;
  const resid = mean - <f64>shift;
  let sumG: f64 = 0, sumGXmu: f64 = 0;
  for (let j = 0; j < Cg; j++) {
    const o8 = <usize>j << 3;
    const a = load<f64>(sd + o8);
    const b = load<f64>(sdx + o8) - resid * a;
    store<f64>(sdx + o8, b);
    const w = weightAt(weight, c0 + j);
    sumG += w * a;
    sumGXmu += w * b;
  }
  // dx = (w * dy + b * (x - shift) + k) * invstd. b is about dy / std: folding invstd
  // into it (about dy / var) would leave the f32 range once the std passes ~1e19.
  const invL = 1.0 / <f64>L;
  const b = -invstd * invstd * sumGXmu * invL;
  const k = -sumG * invL - b * resid;
  for (let c = c0; c < c0 + Cg; c++) {
    const o = <usize>c << 2;
    store<f32>(coefArray(coef, C, SHIFT) + o, shift);
    store<f32>(coefArray(coef, C, W) + o, <f32>weightAt(weight, c));
    store<f32>(coefArray(coef, C, B) + o, <f32>b);
    store<f32>(coefArray(coef, C, K_) + o, <f32>k);
    store<f32>(coefArray(coef, C, INV) + o, <f32>invstd);
  }
}

/** One sample's (C, S) groups; statistics at index g, per-channel sums at index c of sumDy / sumDyXmu. */
function backwardSample(
  dy: usize, x: usize, dx: usize, C: i32, S: i32, G: i32,
  weight: usize, mean64: usize, invstd64: usize, sumDy: usize, sumDyXmu: usize, coef: usize,
): void {
  const Cg = C / G;
  const planeBytes = <usize>S << 2;
  for (let g = 0; g < G; g++) {
    const c0 = g * Cg;
    const base = <usize>c0 * planeBytes;
    const mean = load<f64>(mean64 + (<usize>g << 3));
    const invstd = load<f64>(invstd64 + (<usize>g << 3));
    const sd = sumDy + (<usize>c0 << 3), sdx = sumDyXmu + (<usize>c0 << 3);
    if (Cg * S <= EXACT_RUN) {
      exactRun(dy + base, x + base, dx ? dx + base : 0, Cg, S, planeBytes, 4, c0, weight, mean, invstd, sd, sdx);
      continue;
    }
    const shift = <f32>mean;
    for (let j = 0; j < Cg; j++) {
      const at = base + <usize>j * planeBytes;
      runDotSums(dy + at, x + at, S, shift);
      store<f64>(sd + (<usize>j << 3), dotSumDy());
      store<f64>(sdx + (<usize>j << 3), dotSumDyX());
    }
    backwardCoefs(weight, c0, Cg, Cg * S, mean, invstd, sd, sdx, coef, C);
    if (!dx) continue;
    for (let c = c0; c < c0 + Cg; c++) {
      const at = base + <usize>(c - c0) * planeBytes, o = <usize>c << 2;
      runElemt(
        dy + at, x + at, dx + at, S, shift, load<f32>(coefArray(coef, C, W) + o), load<f32>(coefArray(coef, C, B) + o),
        load<f32>(coefArray(coef, C, K_) + o), load<f32>(coefArray(coef, C, INV) + o),
      );
    }
  }
}

/** One channels-last sample: per-channel sums over its rows, each group's coefficients, then one elementwise pass. */
function backwardSampleLast(
  dy: usize, x: usize, dx: usize, C: i32, S: i32, G: i32,
  weight: usize, mean64: usize, invstd64: usize, sumDy: usize, sumDyXmu: usize, coef: usize, grouped: bool,
): void {
  const Cg = C / G;
  const rowBytes = <usize>C << 2;
  for (let g = 0; g < G; g++) {
    const c0 = g * Cg, o4 = <usize>c0 << 2, o8 = <usize>c0 << 3;
    const mean = load<f64>(mean64 + (<usize>g << 3)), invstd = load<f64>(invstd64 + (<usize>g << 3));
    if (Cg * S <= EXACT_RUN) {
      exactRun(dy + o4, x + o4, dx ? dx + o4 : 0, Cg, S, 4, rowBytes, c0, weight, mean, invstd, sumDy + o8, sumDyXmu + o8);
    } else {
      for (let c = c0; c < c0 + Cg; c++) store<f32>(coefArray(coef, C, SHIFT) + (<usize>c << 2), <f32>mean);
    }
  }
  if (Cg * S <= EXACT_RUN) return;
  columnDotSums(dy, x, S, C, coef, sumDy, sumDyXmu, grouped);
  for (let g = 0; g < G; g++) {
    const c0 = g * Cg, o8 = <usize>c0 << 3;
    backwardCoefs(weight, c0, Cg, Cg * S, load<f64>(mean64 + (<usize>g << 3)), load<f64>(invstd64 + (<usize>g << 3)), sumDy + o8, sumDyXmu + o8, coef, C);
  }
  if (dx) elemtRows(dy, x, dx, S, C, coef);
}

/**
 * sd[c] = sum(dy), sdx[c] = sum(dy * (x - shift[c])) over R rows of C floats (f64 out): f32
 * lanes across the channels over chunks of ROW_CHUNK rows (backward.ts rowReduceChunk), widened between chunks; a
 * chunk's column whose f32 sums overflowed is summed again in f64 (as rowstats.ts's pieces).
 */
function columnDotSums(dy: usize, x: usize, R: i32, C: i32, coef: usize, sd: usize, sdx: usize, grouped: bool): void {
  const shift = coefArray(coef, C, SHIFT), partDy = coefArray(coef, C, PART_DY), partDyX = coefArray(coef, C, PART_DYX);
  const rowBytes = <usize>C << 2;
  memory.fill(sd, 0, <usize>C << 3);
  memory.fill(sdx, 0, <usize>C << 3);
  for (let r0 = 0; r0 < R; r0 += ROW_CHUNK) {
    const rows = min(ROW_CHUNK, R - r0);
    const dy0 = dy + <usize>r0 * rowBytes, x0 = x + <usize>r0 * rowBytes;
    rowReduceChunk<Plain>(dy0, x0, rows, C, 0, C, shift, partDy, partDyX, 0, 0, grouped);
    for (let c = 0; c < C; c++) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      let a = <f64>load<f32>(partDy + o), b = <f64>load<f32>(partDyX + o);
      if (!isFinite(a) || !isFinite(b)) {
        const center = <f64>load<f32>(shift + o);
        a = 0; b = 0;
        for (let r = 0; r < rows; r++) {
          const q = <usize>r * rowBytes + o;
          const d = <f64>load<f32>(dy0 + q);
          a += d;
          b += d * (<f64>load<f32>(x0 + q) - center);
        }
      }
      store<f64>(sd + o8, load<f64>(sd + o8) + a);
      store<f64>(sdx + o8, load<f64>(sdx + o8) + b);
    }
  }
}

/** dx = (w[c] * dy + b[c] * (x - shift[c]) + k[c]) * invstd[c] over R rows of C floats. */
function elemtRows(dy: usize, x: usize, dx: usize, R: i32, C: i32, coef: usize): void {
  const shift = coefArray(coef, C, SHIFT), w = coefArray(coef, C, W), b = coefArray(coef, C, B);
  const k = coefArray(coef, C, K_), s = coefArray(coef, C, INV);
  const rowBytes = <usize>C << 2;
  for (let r = 0; r < R; r++, dy += rowBytes, x += rowBytes, dx += rowBytes) {
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        const t = f32x4.add(f32x4.mul(v128.load(w + o), v128.load(dy + o)), f32x4.mul(v128.load(b + o), f32x4.sub(v128.load(x + o), v128.load(shift + o))));
        v128.store(dx + o, f32x4.mul(f32x4.add(t, v128.load(k + o)), v128.load(s + o)));
      }
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const t = load<f32>(w + o) * load<f32>(dy + o) + load<f32>(b + o) * (load<f32>(x + o) - load<f32>(shift + o));
      store<f32>(dx + o, (t + load<f32>(k + o)) * load<f32>(s + o));
    }
  }
}

/** dweight[c] = sum over n of invstd[n, g] * sum(dy * (x - mean)); dbias[c] = sum over n of sum(dy); channels [c0, c1). */
function paramGrads(
  N: i32, C: i32, G: i32, invstd64: usize, sumDy: usize, sumDyXmu: usize, dweight: usize, dbias: usize, c0: i32, c1: i32,
): void {
  const Cg = C / G;
  for (let c = c0; c < c1; c++) {
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
 * coefficients would lose. Element (j, s) (channel c0 + j, position s) lies at
 * j * jStride + s * sStride bytes. Writes the per-channel sums too.
 */
function exactRun(
  dy: usize, x: usize, dx: usize, Cg: i32, S: i32, jStride: usize, sStride: usize, c0: i32, weight: usize,
  mean: f64, invstd: f64, sumDy: usize, sumDyXmu: usize,
): void {
  let sg: f64 = 0, sgx: f64 = 0;
  for (let j = 0; j < Cg; j++) {
    const w = weightAt(weight, c0 + j);
    let sd: f64 = 0, sdx: f64 = 0;
    for (let s = 0; s < S; s++) {
      const q = <usize>j * jStride + <usize>s * sStride;
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
      const q = <usize>j * jStride + <usize>s * sStride;
      const xhat = (<f64>load<f32>(x + q) - mean) * invstd;
      store<f32>(dx + q, <f32>(invstd * (<f64>load<f32>(dy + q) * w - mg - xhat * mgx)));
    }
  }
}
