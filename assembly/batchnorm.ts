// Batch-norm passes. Every channel's statistics come before its first output, so the
// training forward is a statistics pass, then the element-wise pass. Planar tensors with
// runs of at least CHUNK / 2 floats and interleaved ones are walked in memory order
// (inMemoryOrder, layout.ts); interleaved ones apply from the last rows back, which are
// still in cache. Planar tensors of short runs are pipelined across channels instead
// (pipeline.ts): channel c is normalized while channel c + 1 is reduced.
//
// relu != 0 fuses a ReLU after the normalization (batchNormRelu): the forward clamps at 0,
// the backward masks dy with the forward's own coefficients.
//
// coef: 7 * C f32. The forward leaves its coefficients (shift, scale, offset) in the first
// 3 * C, where the backward of a ReLU forward reads them; the backward writes its own
// (shift, a, h, k) after them and never touches the forward's, so a forward can be
// differentiated more than once.

import {
  EXACT_COUNT, oneSlot, chunkBlocks, inMemoryOrder, chunkLen, chunkOffset, isInterleaved, planeBase, planeChunk, planeChunks, planeStride,
} from "./layout";
import {
  beginPlaneStats, checkChunkSums, endPlaneStats, exactStats, mergeChunk, planeStats, planeStatsInOrder, interleavedStats, runningCenter,
} from "./stats";
import { applyChannels, applyRuns, rowApply } from "./apply";
import {
  addPartSums, checkPartSums, elemtChannels, elemtRuns, exactBackward, forwardOffset, forwardScale, planeElemt, planeReduce,
  reduceChannels, resetChannelSums, storeChannelSums,
} from "./backward";
import { applyWithSums, elemtWithReduce } from "./pipeline";
import { masked, Plain, Relu } from "./mask";
import { endUnit, firstUnit, unitFrom, unitTo } from "./units";
import {
  forwardCoefficient, forwardCoefficients, backwardCoefficient, backwardCoefficients,
  affineGrads, widenStats, frozenCoefficients, applyCoefficients,
} from "./coefficients";
import {
  BIAS, BIAS_AT, CHANNELS_LAST, DBIAS, DBIAS_AT, DWEIGHT, DWEIGHT_AT, INVSTD, MEAN, RELU, RUN_MEAN_AT, RUN_VAR_AT,
  SUM_DY, SUM_DY_XMU, TRAINING, VAR, WEIGHT, WEIGHT_AT, coefOf, optional, param, stat,
} from "./block";


/** The floor of the apply map: -Infinity is no floor at all, 0 is a ReLU. */
// @ts-ignore: decorator
@inline function floorOf(relu: i32): f32 {
  return relu ? 0 : -Infinity;
}

/** Where the backward's coefficients start: after the forward's 3 * C. */
// @ts-ignore: decorator
@inline function backwardCoef(coef: usize, C: i32): usize {
  return coef + <usize>C * 12;
}

/**
 * Training forward: batch statistics into the block's mean / var (biased) / invstd, and
 * y = (x - mean) * invstd * weight + bias (then max(y, 0) with RELU). Block (K = P = C):
 * reads weight / bias as flagged; an interleaved tensor's blocks are reduced in coef and
 * scratch (5 * C floats, layout.ts oneSlot).
 */
export function batchNormTrainForward(x: usize, y: usize, N: i32, C: i32, S: i32, flags: i32, eps: f64, block: usize): void {
  trainForward(
    x, y, N, C, S, flags & CHANNELS_LAST, eps, optional(block, C, C, WEIGHT_AT, flags, WEIGHT),
    optional(block, C, C, BIAS_AT, flags, BIAS), stat(block, C, MEAN), stat(block, C, VAR), stat(block, C, INVSTD),
    coefOf(block, C, C), flags & RELU,
  );
}

function trainForward(
  x: usize, y: usize, N: i32, C: i32, S: i32, channelsLast: i32, eps: f64,
  weight: usize, bias: usize, mean64: usize, var64: usize, invstd64: usize, coef: usize, relu: i32,
): void {
  const floor = floorOf(relu);
  if (N * S <= EXACT_COUNT) {
    exactStats(x, N, C, S, channelsLast, mean64, var64);
    forwardCoefficients(C, mean64, var64, eps, weight, bias, coef, invstd64);
    applyChannels(x, y, N, C, S, channelsLast, coef, floor);
    return;
  }
  if (isInterleaved(S, channelsLast)) {
    // The threaded backend runs these steps as phases (rowblocks.ts).
    interleavedStats(x, N * S, C, mean64, var64, oneSlot(coef, C));
    forwardCoefficients(C, mean64, var64, eps, weight, bias, coef, invstd64);
    rowApply(x, y, N * S, C, coef, floor);
    return;
  }
  if (inMemoryOrder(S)) {
    // Two walks in memory order beat one walk channel by channel, which pipelines channel c's
    // output with channel c + 1's statistics (pipeline.ts) but reads runs a plane apart
    // (measured on (32, 64, 56, 56): 3.05 -> 1.7 ms).
    planeStatsInOrder(x, N, C, S, mean64, var64);
    for (let c = firstUnit(), end = endUnit(C); c < end; c++) forwardCoefficient(c, C, mean64, var64, eps, weight, bias, coef, invstd64);
    applyChannels(x, y, N, C, S, 0, coef, floor);
    return;
  }
  const stride = planeStride(C, S), chunks = planeChunks(N, S), gap = <usize>S << 2, cb = <usize>C << 2;
  // Channels [c0, c1): all of them, or this thread's share (units.ts).
  const c0 = max(unitFrom, 0), c1 = min(unitTo, C);
  if (c0 >= c1) return;
  if (c0 == 0) planeStats(x, N, C, S, 0, mean64, var64);
  else pipelinedPlaneStats(x, y, N, C, S, c0, mean64, var64);
  for (let c = c0; c < c1; c++) {
    forwardCoefficient(c, C, mean64, var64, eps, weight, bias, coef, invstd64);
    const o = <usize>c << 2;
    const shift = load<f32>(coef + o), scale = load<f32>(coef + cb + o), offset = load<f32>(coef + 2 * cb + o);
    const xc = planeBase(x, C, S, c), yc = planeBase(y, C, S, c);
    const next = c + 1 < c1;
    if (next) beginPlaneStats(xc + gap, N, S, stride);
    for (let k = 0; k < chunks; k++) {
      planeChunk(k, N, S, stride);
      const px = xc + chunkOffset, py = yc + chunkOffset;
      if (next && k > 0) {
        const center = runningCenter();
        applyWithSums(px, py, gap, chunkBlocks, chunkLen, stride, shift, scale, offset, floor, center);
        checkChunkSums(px + gap, chunkBlocks, chunkLen, stride, center);
        mergeChunk(<f64>chunkBlocks * <f64>chunkLen, center);
      } else {
        applyRuns(px, py, chunkBlocks, chunkLen, stride, shift, scale, offset, floor);
      }
    }
    if (next) endPlaneStats(c + 1, mean64, var64);
  }
}

/**
 * Channel c's statistics exactly as trainForward's loop computes them for every channel but
 * the first (chunk 0 by beginPlaneStats, later chunks by applyWithSums's sums), so that a
 * thread starting at channel c gets the bits one thread gets. applyWithSums runs with gap 0
 * over channel c itself; its apply writes y's channel c, which the caller overwrites next
 * (x and y must not alias).
 */
function pipelinedPlaneStats(x: usize, y: usize, N: i32, C: i32, S: i32, c: i32, mean64: usize, var64: usize): void {
  const stride = planeStride(C, S), chunks = planeChunks(N, S);
  const xc = planeBase(x, C, S, c), yc = planeBase(y, C, S, c);
  beginPlaneStats(xc, N, S, stride);
  for (let k = 1; k < chunks; k++) {
    planeChunk(k, N, S, stride);
    const center = runningCenter();
    applyWithSums(xc + chunkOffset, yc + chunkOffset, 0, chunkBlocks, chunkLen, stride, 0, 1, 0, -Infinity, center);
    checkChunkSums(xc + chunkOffset, chunkBlocks, chunkLen, stride, center);
    mergeChunk(<f64>chunkBlocks * <f64>chunkLen, center);
  }
  endPlaneStats(c, mean64, var64);
}

/**
 * Inference forward with the block's runMean / runVar; also leaves them widened in its
 * mean / var and invstd for a frozen-statistics backward.
 */
export function batchNormEvalForward(x: usize, y: usize, N: i32, C: i32, S: i32, flags: i32, eps: f64, block: usize): void {
  const mean64 = stat(block, C, MEAN), var64 = stat(block, C, VAR), coef = coefOf(block, C, C);
  widenStats(C, param(block, C, C, RUN_MEAN_AT), param(block, C, C, RUN_VAR_AT), mean64, var64);
  forwardCoefficients(
    C, mean64, var64, eps, optional(block, C, C, WEIGHT_AT, flags, WEIGHT), optional(block, C, C, BIAS_AT, flags, BIAS),
    coef, stat(block, C, INVSTD),
  );
  applyChannels(x, y, N, C, S, flags & CHANNELS_LAST, coef, floorOf(flags & RELU));
}

/**
 * Backward given the block's mean / invstd of the forward. TRAINING: the full gradient
 * through the batch statistics; otherwise frozen statistics, dx = dy * weight * invstd.
 * RELU: dy is masked by the forward's ReLU, recomputed from the block's weight and bias.
 * dx may be 0 when not wanted; dweight / dbias are written as flagged.
 */
export function batchNormBackward(dy: usize, x: usize, dx: usize, N: i32, C: i32, S: i32, flags: i32, block: usize): void {
  const mean64 = stat(block, C, MEAN), invstd64 = stat(block, C, INVSTD), coef = coefOf(block, C, C);
  const weight = optional(block, C, C, WEIGHT_AT, flags, WEIGHT);
  const relu = flags & RELU, training = (flags & TRAINING) != 0 ? 1 : 0, cl = flags & CHANNELS_LAST;
  const paramGrads = (flags & (DWEIGHT | DBIAS)) != 0, sumDy64 = stat(block, C, SUM_DY), sumDyXmu64 = stat(block, C, SUM_DY_XMU);
  forwardMask(C, flags, block, firstUnit(), endUnit(C));
  if (relu) {
    backward<Relu>(dy, x, dx, N, C, S, cl, training, mean64, invstd64, weight, sumDy64, sumDyXmu64, coef, paramGrads);
  } else {
    backward<Plain>(dy, x, dx, N, C, S, cl, training, mean64, invstd64, weight, sumDy64, sumDyXmu64, coef, paramGrads);
  }
  unitAffineGrads(C, flags, block);
}

/**
 * RELU: the forward's coefficients of channels [from, to) from the block's mean / invstd,
 * for the backward's mask: the same formula on the same f64 mean / invstd gives the
 * forward's f32 coefficients bit for bit.
 */
export function forwardMask(C: i32, flags: i32, block: usize, from: i32, to: i32): void {
  if (!(flags & RELU)) return;
  applyCoefficients(
    C, stat(block, C, MEAN), stat(block, C, INVSTD), optional(block, C, C, WEIGHT_AT, flags, WEIGHT),
    optional(block, C, C, BIAS_AT, flags, BIAS), coefOf(block, C, C), from, to,
  );
}

/** dweight / dbias as flagged from the block's sums, over this call's channels (all of them unless a thread's share is set, units.ts). */
export function unitAffineGrads(C: i32, flags: i32, block: usize): void {
  const c0 = firstUnit(), n = endUnit(C) - c0;
  if (n <= 0) return;
  const o8 = <usize>c0 << 3, o4 = <usize>c0 << 2;
  const dweight = optional(block, C, C, DWEIGHT_AT, flags, DWEIGHT), dbias = optional(block, C, C, DBIAS_AT, flags, DBIAS);
  affineGrads(
    n, stat(block, C, SUM_DY) + o8, stat(block, C, SUM_DY_XMU) + o8, stat(block, C, INVSTD) + o8, dweight ? dweight + o4 : 0, dbias ? dbias + o4 : 0,
  );
}

/** batchNormBackward without the parameter gradients, for one mask type (mask.ts). */
function backward<M>(
  dy: usize, x: usize, dx: usize, N: i32, C: i32, S: i32, channelsLast: i32, training: i32,
  mean64: usize, invstd64: usize, weight: usize, sumDy64: usize, sumDyXmu64: usize, coef: usize,
  paramGrads: bool,
): void {
  const count = <f64>N * <f64>S;
  const bcoef = backwardCoef(coef, C);
  const needSums = training != 0 || paramGrads;
  if (training && count <= <f64>EXACT_COUNT) {
    exactBackward(dy, x, dx, N, C, S, channelsLast, mean64, invstd64, weight, sumDy64, sumDyXmu64, masked<M>(), coef);
  } else if (isInterleaved(S, channelsLast) || inMemoryOrder(S)) {
    // A reduction pass, then the element-wise pass (planar: both in memory order, see trainForward).
    if (needSums) reduceChannels<M>(dy, x, N, C, S, channelsLast, mean64, sumDy64, sumDyXmu64, oneSlot(coef, C), coef);
    if (dx && (training || masked<M>())) {
      for (let c = firstUnit(), end = endUnit(C); c < end; c++) {
        backwardCoefficient(c, C, training, mean64, invstd64, weight, sumDy64, sumDyXmu64, count, bcoef);
      }
      elemtChannels<M>(dy, x, dx, N, C, S, channelsLast, bcoef, coef);
    }
  } else if (dx && training) {
    planeTrainBackward<M>(dy, x, dx, N, C, S, mean64, invstd64, weight, sumDy64, sumDyXmu64, count, coef);
  } else {
    if (needSums) for (let c = 0; c < C; c++) planeReduce<M>(dy, x, N, C, S, c, mean64, sumDy64, sumDyXmu64, coef);
    if (dx && masked<M>()) {
      backwardCoefficients(C, 0, mean64, invstd64, weight, sumDy64, sumDyXmu64, count, bcoef);
      for (let c = 0; c < C; c++) planeElemt<M>(dy, x, dx, N, C, S, c, bcoef, coef);
    }
  }
  if (dx && !training && !masked<M>()) {
    // Frozen statistics without a mask: dx is the apply map of dy alone, x is not read.
    frozenCoefficients(C, invstd64, weight, bcoef);
    applyChannels(dy, dx, N, C, S, channelsLast, bcoef, -Infinity);
  }
}

/** The planar training backward, channel c's dx pipelined with channel c + 1's reductions. */
function planeTrainBackward<M>(
  dy: usize, x: usize, dx: usize, N: i32, C: i32, S: i32, mean64: usize, invstd64: usize, weight: usize,
  sumDy64: usize, sumDyXmu64: usize, count: f64, coef: usize,
): void {
  const stride = planeStride(C, S), chunks = planeChunks(N, S), gap = <usize>S << 2, cb = <usize>C << 2;
  const bcoef = backwardCoef(coef, C);
  const relu = masked<M>();
  // Channels [c0, c1): all of them, or this thread's share (units.ts).
  const c0 = max(unitFrom, 0), c1 = min(unitTo, C);
  if (c0 >= c1) return;
  if (c0 == 0) planeReduce<M>(dy, x, N, C, S, 0, mean64, sumDy64, sumDyXmu64, coef);
  else pipelinedPlaneReduce<M>(dy, x, dx, N, C, S, c0, mean64, sumDy64, sumDyXmu64, coef);
  for (let c = c0; c < c1; c++) {
    backwardCoefficient(c, C, 1, mean64, invstd64, weight, sumDy64, sumDyXmu64, count, bcoef);
    const o = <usize>c << 2;
    const shift = load<f32>(bcoef + o), a = load<f32>(bcoef + cb + o);
    const h = load<f32>(bcoef + 2 * cb + o), k = load<f32>(bcoef + 3 * cb + o);
    const fsA: f32 = relu ? forwardScale(coef, C, c) : 0, foA: f32 = relu ? forwardOffset(coef, C, c) : 0;
    const dyc = planeBase(dy, C, S, c), xc = planeBase(x, C, S, c), dxc = planeBase(dx, C, S, c);
    const next = c + 1 < c1;
    const center = next ? <f32>load<f64>(mean64 + (<usize>(c + 1) << 3)) : 0;
    const fsB: f32 = relu && next ? forwardScale(coef, C, c + 1) : 0, foB: f32 = relu && next ? forwardOffset(coef, C, c + 1) : 0;
    resetChannelSums();
    for (let j = 0; j < chunks; j++) {
      planeChunk(j, N, S, stride);
      const pdy = dyc + chunkOffset, px = xc + chunkOffset, pdx = dxc + chunkOffset;
      if (next) {
        elemtWithReduce<M>(pdy, px, pdx, gap, chunkBlocks, chunkLen, stride, shift, a, h, k, center, fsA, foA, fsB, foB);
        checkPartSums(pdy + gap, px + gap, chunkBlocks, chunkLen, stride, center, relu, fsB, foB);
        addPartSums();
      } else {
        elemtRuns<M>(pdy, px, pdx, chunkBlocks, chunkLen, stride, shift, a, h, k, fsA, foA);
      }
    }
    if (next) storeChannelSums(c + 1, mean64, center, sumDy64, sumDyXmu64);
  }
}

/**
 * Channel c's sums exactly as planeTrainBackward's loop computes them for every channel but
 * the first (elemtWithReduce's reduction), so that a thread starting at channel c gets the
 * bits one thread gets. elemtWithReduce runs with gap 0 over channel c itself; its dx (zeros)
 * lands in dx's channel c, which the caller overwrites next (dx must alias neither dy nor x).
 */
function pipelinedPlaneReduce<M>(
  dy: usize, x: usize, dx: usize, N: i32, C: i32, S: i32, c: i32,
  mean64: usize, sumDy64: usize, sumDyXmu64: usize, coef: usize,
): void {
  const stride = planeStride(C, S), chunks = planeChunks(N, S);
  const relu = masked<M>();
  const center = <f32>load<f64>(mean64 + (<usize>c << 3));
  const fs: f32 = relu ? forwardScale(coef, C, c) : 0, fo: f32 = relu ? forwardOffset(coef, C, c) : 0;
  const dyc = planeBase(dy, C, S, c), xc = planeBase(x, C, S, c), dxc = planeBase(dx, C, S, c);
  resetChannelSums();
  for (let j = 0; j < chunks; j++) {
    planeChunk(j, N, S, stride);
    const pdy = dyc + chunkOffset, px = xc + chunkOffset;
    elemtWithReduce<M>(pdy, px, dxc + chunkOffset, 0, chunkBlocks, chunkLen, stride, 0, 0, 0, 0, center, 0, 0, fs, fo);
    checkPartSums(pdy, px, chunkBlocks, chunkLen, stride, center, relu, fs, fo);
    addPartSums();
  }
  storeChannelSums(c, mean64, center, sumDy64, sumDyXmu64);
}
