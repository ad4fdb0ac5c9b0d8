// Layer norm: R rows of L contiguous floats (L = the product of normalizedShape), each
// normalized by its own mean and variance, then scaled and shifted elementwise:
//   y[r, i] = (x[r, i] - mean[r]) * invstd[r] * w[i] + b[i].
// Per row: the statistics pass (rowstats.ts) and the apply pass run back to back while the
// row is in cache, so x comes from memory once.
//
// Per-row coefficients are computed in f64 and rounded once: xhat = (x - shift) * scale +
// offset, where shift is the mean rounded to f32 (x - shift is exact near the mean) and
// offset carries what that rounding dropped.

import {
  firstPilot, fusedMoments, isOnePiece, momentMean, momentM2, runMoments, runWeightedSums, dotSumDy, dotSumDyX,
} from "./rowstats";
import { hsum64 } from "./simd";
import { runApply } from "./runmaps";
import { endBlock, FLUSH_ROWS, narrowGrads } from "./blocksums";
import {
  BIAS, BIAS_AT, DBIAS, DBIAS_AT, DWEIGHT, DWEIGHT_AT, INVSTD, MEAN, WEIGHT, WEIGHT_AT, optional, scratchOf, stat,
} from "./block";

/** Rows of at most this many values take the all-f64 backward (see exactRows). */
const EXACT_ROW: i32 = 8;

/**
 * Forward: the block's mean[r] and invstd[r] (K = R) and y, with weight / bias (P = L) as
 * flagged.
 */
export function layerNormForward(x: usize, y: usize, R: i32, L: i32, flags: i32, eps: f64, block: usize): void {
  forwardRows(
    x, y, R, L, eps, optional(block, R, L, WEIGHT_AT, flags, WEIGHT), optional(block, R, L, BIAS_AT, flags, BIAS),
    stat(block, R, MEAN), stat(block, R, INVSTD),
  );
}

function forwardRows(
  x: usize, y: usize, R: i32, L: i32, eps: f64, weight: usize, bias: usize, mean64: usize, invstd64: usize,
): void {
  if (weight && bias && isOnePiece(L)) {
    affineRows(x, y, R, L, eps, weight, bias, mean64, invstd64);
    return;
  }
  const rowBytes = <usize>L << 2;
  for (let r = 0; r < R; r++) {
    const px = x + <usize>r * rowBytes, py = y + <usize>r * rowBytes;
    runMoments(px, L);
    const mean = momentMean();
    const invstd = 1.0 / Math.sqrt(momentM2() / <f64>L + eps);
    store<f64>(mean64 + (<usize>r << 3), mean);
    store<f64>(invstd64 + (<usize>r << 3), invstd);
    const shift = <f32>mean;
    const scale = <f32>invstd;
    const offset = <f32>(-(mean - <f64>shift) * invstd);
    if (weight) affineRow(px, py, L, shift, scale, offset, weight, bias);
    else if (bias) biasRow(px, py, L, shift, scale, offset, bias);
    else runApply(px, py, L, shift, scale, offset);
  }
}

/**
 * The module's forward (weight and bias), software-pipelined as rownorm.ts's scaledRows:
 * each row's y is written in the loop that sums the next row around this row's mean (kept
 * when close enough, see fusedMoments), so the next row streams in while this one is
 * computed from cache. For rows of one piece (isOnePiece), whose two rows and output stay
 * in L1: rows of 4096 measured slower fused (2048x4096: 3.2 -> 3.7 ms).
 */
function affineRows(
  x: usize, y: usize, R: i32, L: i32, eps: f64, w: usize, b: usize, mean64: usize, invstd64: usize,
): void {
  const rowBytes = <usize>L << 2;
  runMoments(x, L);
  for (let r = 0; r < R; r++) {
    const o = <usize>r * rowBytes;
    const mean = momentMean();
    const invstd = 1.0 / Math.sqrt(momentM2() / <f64>L + eps);
    store<f64>(mean64 + (<usize>r << 3), mean);
    store<f64>(invstd64 + (<usize>r << 3), invstd);
    const shift = <f32>mean, scale = <f32>invstd, offset = <f32>(-(mean - <f64>shift) * invstd);
    if (r + 1 == R) {
      affineRow(x + o, y + o, L, shift, scale, offset, w, b);
      break;
    }
    // The next row's pilot comes from that row alone (as runMoments picks it): a pilot taken
    // from this row would make the next row's rounding, and its fallback, depend on this one.
    const next = x + o + rowBytes;
    const pilot = firstPilot(next, L);
    affineWithSums(x + o, y + o, next, L, shift, scale, offset, w, b, pilot);
    fusedMoments(next, L, pilot, fusedSum, fusedSumSq);
  }
}

// The sums of affineWithSums' second run (AssemblyScript has no tuples).
let fusedSum: f64 = 0;
let fusedSumSq: f64 = 0;

/** affineRow over n floats, and the sums of t - pilot and (t - pilot)^2 over the n floats at t (fusedSum, fusedSumSq). */
function affineWithSums(
  x: usize, y: usize, t: usize, n: i32, shift: f32, scale: f32, offset: f32, w: usize, b: usize, pilot: f32,
): void {
  let i = 0;
  let sd: f64 = 0, sdd: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(shift), vk = f32x4.splat(scale), vo = f32x4.splat(offset), m = f32x4.splat(pilot);
    let d0 = f32x4.splat(0), d1 = f32x4.splat(0), q0 = f32x4.splat(0), q1 = f32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const q = <usize>i << 2;
      const u = f32x4.sub(v128.load(t + q), m), v = f32x4.sub(v128.load(t + q, 16), m);
      d0 = f32x4.add(d0, u); q0 = f32x4.add(q0, f32x4.mul(u, u));
      d1 = f32x4.add(d1, v); q1 = f32x4.add(q1, f32x4.mul(v, v));
      const h0 = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), vs), vk), vo);
      const h1 = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q, 16), vs), vk), vo);
      v128.store(y + q, f32x4.add(f32x4.mul(h0, v128.load(w + q)), v128.load(b + q)));
      v128.store(y + q, f32x4.add(f32x4.mul(h1, v128.load(w + q, 16)), v128.load(b + q, 16)), 16);
    }
    for (; i + 4 <= n; i += 4) {
      const q = <usize>i << 2;
      const u = f32x4.sub(v128.load(t + q), m);
      d0 = f32x4.add(d0, u); q0 = f32x4.add(q0, f32x4.mul(u, u));
      const h = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), vs), vk), vo);
      v128.store(y + q, f32x4.add(f32x4.mul(h, v128.load(w + q)), v128.load(b + q)));
    }
    sd = hsum64(f32x4.add(d0, d1));
    sdd = hsum64(f32x4.add(q0, q1));
  }
  const i0 = i;
  // The sums in centeredSums' (rowstats.ts) order, lane for lane and pair for pair: a row's
  // statistics then have the same bits whether its sums were fused or not, so a range of
  // rows may start anywhere (the threaded backend's cut by rows).
  let s0: f32 = 0, s1: f32 = 0, t0: f32 = 0, t1: f32 = 0;
  for (; i + 2 <= n; i += 2) {
    const q = <usize>i << 2;
    const u = load<f32>(t + q) - pilot, v = load<f32>(t + q, 4) - pilot;
    s0 += u; t0 += u * u;
    s1 += v; t1 += v * v;
  }
  if (i < n) {
    const u = load<f32>(t + (<usize>i << 2)) - pilot;
    s0 += u; t0 += u * u;
  }
  for (let j = i0; j < n; j++) {
    const q = <usize>j << 2;
    store<f32>(y + q, ((load<f32>(x + q) - shift) * scale + offset) * load<f32>(w + q) + load<f32>(b + q));
  }
  fusedSum = sd + <f64>(s0 + s1);
  fusedSumSq = sdd + <f64>(t0 + t1);
}

/** y = ((x - shift) * scale + offset) * w + b (b == 0: no bias). */
function affineRow(x: usize, y: usize, L: i32, shift: f32, scale: f32, offset: f32, w: usize, b: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(shift), vk = f32x4.splat(scale), vo = f32x4.splat(offset);
    if (b) {
      for (; i + 8 <= L; i += 8) {
        const q = <usize>i << 2;
        const h0 = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), vs), vk), vo);
        const h1 = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q, 16), vs), vk), vo);
        v128.store(y + q, f32x4.add(f32x4.mul(h0, v128.load(w + q)), v128.load(b + q)));
        v128.store(y + q, f32x4.add(f32x4.mul(h1, v128.load(w + q, 16)), v128.load(b + q, 16)), 16);
      }
      for (; i + 4 <= L; i += 4) {
        const q = <usize>i << 2;
        const h = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), vs), vk), vo);
        v128.store(y + q, f32x4.add(f32x4.mul(h, v128.load(w + q)), v128.load(b + q)));
      }
    } else {
      for (; i + 4 <= L; i += 4) {
        const q = <usize>i << 2;
        const h = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), vs), vk), vo);
        v128.store(y + q, f32x4.mul(h, v128.load(w + q)));
      }
    }
  }
  for (; i < L; i++) {
    const q = <usize>i << 2;
    const h = (load<f32>(x + q) - shift) * scale + offset;
    store<f32>(y + q, b ? h * load<f32>(w + q) + load<f32>(b + q) : h * load<f32>(w + q));
  }
}

/** y = (x - shift) * scale + offset + b: a bias without a weight (functional layerNorm). */
function biasRow(x: usize, y: usize, L: i32, shift: f32, scale: f32, offset: f32, b: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(shift), vk = f32x4.splat(scale), vo = f32x4.splat(offset);
    for (; i + 4 <= L; i += 4) {
      const q = <usize>i << 2;
      const h = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), vs), vk), vo);
      v128.store(y + q, f32x4.add(h, v128.load(b + q)));
    }
  }
  for (; i < L; i++) {
    const q = <usize>i << 2;
    store<f32>(y + q, (load<f32>(x + q) - shift) * scale + offset + load<f32>(b + q));
  }
}

/**
 * Backward given the forward's mean64 / invstd64. With g = dy * w:
 *   dx = invstd * (g - mean(g) - xhat * mean(g * xhat))     per row,
 *   dweight[i] = sum over rows of dy * xhat, dbias[i] = sum over rows of dy.
 * dx may be 0 when not wanted; dweight / dbias are written as flagged; no weight means ones.
 * scratch: 2 * L f32 then 2 * L f64 (block sums, then totals of dweight / dbias).
 */
export function layerNormBackward(dy: usize, x: usize, dx: usize, R: i32, L: i32, flags: i32, block: usize): void {
  layerNormBackwardBlocks(dy, x, dx, R, L, flags, block, 0);
}

/**
 * layerNormBackward, except that with a non-zero `partials` the parameter gradients' f32
 * block sums go to a slot of 2 * L floats per FLUSH_ROWS rows there (blocksums.ts), and
 * dweight / dbias are not written: the threaded backend's cut (rows L > EXACT_ROW only).
 */
export function layerNormBackwardBlocks(dy: usize, x: usize, dx: usize, R: i32, L: i32, flags: i32, block: usize, partials: usize): void {
  const weight = optional(block, R, L, WEIGHT_AT, flags, WEIGHT);
  const dweight = optional(block, R, L, DWEIGHT_AT, flags, DWEIGHT), dbias = optional(block, R, L, DBIAS_AT, flags, DBIAS);
  const mean64 = stat(block, R, MEAN), invstd64 = stat(block, R, INVSTD), scratch = scratchOf(block, R, L);
  const rowBytes = <usize>L << 2;
  const params = dweight != 0 || dbias != 0;
  const blockW = scratch, blockB = scratch + rowBytes;
  const totalW = scratch + 2 * rowBytes, totalB = totalW + (<usize>L << 3);
  if (params) {
    memory.fill(scratch, 0, 2 * rowBytes + (<usize>L << 4));
  }
  if (L <= EXACT_ROW) {
    exactRows(dy, x, dx, R, L, weight, params, mean64, invstd64, totalW, totalB);
  } else {
    const invL = 1.0 / <f64>L;
    for (let r = 0; r < R; r++) {
      const o = <usize>r * rowBytes;
      const mean = load<f64>(mean64 + (<usize>r << 3));
      const invstd = load<f64>(invstd64 + (<usize>r << 3));
      const shift = <f32>mean;
      const resid = mean - <f64>shift;
      const scale = <f32>invstd, offset = <f32>(-resid * invstd);
      if (dx) {
        runWeightedSums(dy + o, x + o, weight, L, shift);
        const sumG = dotSumDy();
        const sumGXmu = dotSumDyX() - resid * sumG;
        // dx = (g + h * (x - shift) + k) * invstd. h is about dy / std: folding invstd into
        // it (about dy / var) would leave the f32 range once the std passes ~1e19.
        const b = -invstd * invstd * sumGXmu * invL;
        const k = -sumG * invL - b * resid;
        if (params && weight) {
          gradAccumulateRow(dy + o, x + o, dx + o, weight, L, shift, scale, <f32>b, <f32>k, offset, blockW, blockB);
        } else {
          gradRow(dy + o, x + o, dx + o, weight, L, shift, scale, <f32>b, <f32>k);
          if (params) accumulateRow(dy + o, x + o, L, shift, scale, offset, blockW, blockB);
        }
      } else if (params) {
        accumulateRow(dy + o, x + o, L, shift, scale, offset, blockW, blockB);
      }
      if (params && ((r + 1) % FLUSH_ROWS == 0 || r == R - 1)) endBlock(blockW, 2, L, totalW, partials, r / FLUSH_ROWS);
    }
  }
  if (!partials) narrowGrads(block, R, L, flags, 2, totalW, 0, L);
}

/** dx = (dy * w + b * (x - shift) + k) * a over one row (w == 0: ones). */
function gradRow(dy: usize, x: usize, dx: usize, w: usize, L: i32, shift: f32, a: f32, b: f32, k: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(shift), va = f32x4.splat(a), vb = f32x4.splat(b), vk = f32x4.splat(k);
    if (w) {
      for (; i + 4 <= L; i += 4) {
        const q = <usize>i << 2;
        const g = f32x4.mul(v128.load(dy + q), v128.load(w + q));
        v128.store(dx + q, f32x4.mul(f32x4.add(f32x4.add(g, f32x4.mul(vb, f32x4.sub(v128.load(x + q), vs))), vk), va));
      }
    } else {
      for (; i + 4 <= L; i += 4) {
        const q = <usize>i << 2;
        const g = v128.load(dy + q);
        v128.store(dx + q, f32x4.mul(f32x4.add(f32x4.add(g, f32x4.mul(vb, f32x4.sub(v128.load(x + q), vs))), vk), va));
      }
    }
  }
  for (; i < L; i++) {
    const q = <usize>i << 2;
    const g = w ? load<f32>(dy + q) * load<f32>(w + q) : load<f32>(dy + q);
    store<f32>(dx + q, (g + b * (load<f32>(x + q) - shift) + k) * a);
  }
}

/**
 * gradRow and accumulateRow in one pass (the module's case: weight, dx and both parameter
 * gradients): dy, x and x - shift are loaded and formed once. xhat = (x - shift) * a + offset,
 * dx = (dy * w + b * (x - shift) + k) * a.
 */
function gradAccumulateRow(
  dy: usize, x: usize, dx: usize, w: usize, L: i32, shift: f32, a: f32, b: f32, k: f32, offset: f32,
  blockW: usize, blockB: usize,
): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(shift), va = f32x4.splat(a), vb = f32x4.splat(b), vk = f32x4.splat(k), vo = f32x4.splat(offset);
    for (; i + 8 <= L; i += 8) {
      const q = <usize>i << 2;
      const g0 = v128.load(dy + q), g1 = v128.load(dy + q, 16);
      const d0 = f32x4.sub(v128.load(x + q), vs), d1 = f32x4.sub(v128.load(x + q, 16), vs);
      const t0 = f32x4.add(f32x4.mul(g0, v128.load(w + q)), f32x4.mul(vb, d0));
      const t1 = f32x4.add(f32x4.mul(g1, v128.load(w + q, 16)), f32x4.mul(vb, d1));
      v128.store(dx + q, f32x4.mul(f32x4.add(t0, vk), va));
      v128.store(dx + q, f32x4.mul(f32x4.add(t1, vk), va), 16);
      const h0 = f32x4.add(f32x4.mul(d0, va), vo), h1 = f32x4.add(f32x4.mul(d1, va), vo);
      v128.store(blockW + q, f32x4.add(v128.load(blockW + q), f32x4.mul(g0, h0)));
      v128.store(blockW + q, f32x4.add(v128.load(blockW + q, 16), f32x4.mul(g1, h1)), 16);
      v128.store(blockB + q, f32x4.add(v128.load(blockB + q), g0));
      v128.store(blockB + q, f32x4.add(v128.load(blockB + q, 16), g1), 16);
    }
    for (; i + 4 <= L; i += 4) {
      const q = <usize>i << 2;
      const g = v128.load(dy + q);
      const d = f32x4.sub(v128.load(x + q), vs);
      const t = f32x4.add(f32x4.mul(g, v128.load(w + q)), f32x4.mul(vb, d));
      v128.store(dx + q, f32x4.mul(f32x4.add(t, vk), va));
      const h = f32x4.add(f32x4.mul(d, va), vo);
      v128.store(blockW + q, f32x4.add(v128.load(blockW + q), f32x4.mul(g, h)));
      v128.store(blockB + q, f32x4.add(v128.load(blockB + q), g));
    }
  }
  for (; i < L; i++) {
    const q = <usize>i << 2;
    const g = load<f32>(dy + q);
    const d = load<f32>(x + q) - shift;
    store<f32>(dx + q, (g * load<f32>(w + q) + b * d + k) * a);
    store<f32>(blockW + q, load<f32>(blockW + q) + g * (d * a + offset));
    store<f32>(blockB + q, load<f32>(blockB + q) + g);
  }
}

/** blockW += dy * xhat, blockB += dy over one row, xhat = (x - shift) * scale + offset. */
function accumulateRow(dy: usize, x: usize, L: i32, shift: f32, scale: f32, offset: f32, blockW: usize, blockB: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(shift), vk = f32x4.splat(scale), vo = f32x4.splat(offset);
    for (; i + 4 <= L; i += 4) {
      const q = <usize>i << 2;
      const g = v128.load(dy + q);
      const h = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), vs), vk), vo);
      v128.store(blockW + q, f32x4.add(v128.load(blockW + q), f32x4.mul(g, h)));
      v128.store(blockB + q, f32x4.add(v128.load(blockB + q), g));
    }
  }
  for (; i < L; i++) {
    const q = <usize>i << 2;
    const g = load<f32>(dy + q);
    const h = (load<f32>(x + q) - shift) * scale + offset;
    store<f32>(blockW + q, load<f32>(blockW + q) + g * h);
    store<f32>(blockB + q, load<f32>(blockB + q) + g);
  }
}

/**
 * The backward straight from the definition in f64, for rows of very few values: with two
 * values per row the exact dx is about eps / var times dy, a difference of O(1) terms that
 * f32 coefficients would lose. Small by construction.
 */
function exactRows(
  dy: usize, x: usize, dx: usize, R: i32, L: i32, weight: usize, params: bool,
  mean64: usize, invstd64: usize, totalW: usize, totalB: usize,
): void {
  const invL = 1.0 / <f64>L;
  for (let r = 0; r < R; r++) {
    const mean = load<f64>(mean64 + (<usize>r << 3));
    const invstd = load<f64>(invstd64 + (<usize>r << 3));
    const base = <usize>r * <usize>L;
    let sg: f64 = 0, sgx: f64 = 0;
    for (let i = 0; i < L; i++) {
      const q = (base + <usize>i) << 2;
      const d = <f64>load<f32>(dy + q);
      const w = weight ? <f64>load<f32>(weight + (<usize>i << 2)) : 1.0;
      const xhat = (<f64>load<f32>(x + q) - mean) * invstd;
      sg += d * w;
      sgx += d * w * xhat;
      if (params) {
        const o8 = <usize>i << 3;
        store<f64>(totalW + o8, load<f64>(totalW + o8) + d * xhat);
        store<f64>(totalB + o8, load<f64>(totalB + o8) + d);
      }
    }
    if (!dx) continue;
    const mg = sg * invL, mgx = sgx * invL;
    for (let i = 0; i < L; i++) {
      const q = (base + <usize>i) << 2;
      const w = weight ? <f64>load<f32>(weight + (<usize>i << 2)) : 1.0;
      const xhat = (<f64>load<f32>(x + q) - mean) * invstd;
      store<f32>(dx + q, <f32>(invstd * (<f64>load<f32>(dy + q) * w - mg - xhat * mgx)));
    }
  }
}
