// Row norms: R rows of L contiguous floats (L = the product of normalizedShape), each
// normalized by its own statistics, then scaled and shifted elementwise. Two flags pick the
// op: CENTERED is layer norm (mean and variance), without it RMS norm (the root mean square,
// mean 0):
//   y[r, i] = (s[r, i] - mean[r]) * invstd[r] * w[i] + b[i],  invstd = 1 / sqrt(mean((s - mean)^2) + eps),
// and a residual tensor makes s = x + residual (+ addBias[i]), the transformer's residual
// stream, which is written out as `sum`; without one s is x. Per row the add, the statistics
// and the apply run back to back while the row is in cache, so the inputs come from memory
// once. The backward is the same for both inputs of the add: dx = d(norm)/ds + dsum.
//
// Coefficients are computed per row in f64 and rounded once, as in layernorm.ts: xhat =
// (s - shift) * scale + offset with shift the mean rounded to f32 (0 for RMS norm).

import { runMoments, momentMean, momentM2, runWeightedSums, dotSumDy, dotSumDyX } from "./rowstats";
import { runApply, runElemt } from "./runmaps";
import { hsum64 } from "./simd";
import { endBlock, FLUSH_ROWS, narrowGrads } from "./blocksums";
import {
  ADD_BIAS, ADD_BIAS_AT, BIAS, BIAS_AT, CENTERED, DADD_BIAS, DADD_BIAS_AT, DBIAS, DBIAS_AT, DWEIGHT, DWEIGHT_AT, INVSTD, MEAN,
  WEIGHT, WEIGHT_AT, optional, scratchOf, stat,
} from "./block";

/** Rows of at most this many values take the all-f64 backward (see exactRows). */
const EXACT_ROW: i32 = 8;
/**
 * Rows of at most this many values get their sum of squares in f64 throughout: their
 * backward is a difference of nearly equal terms (one value: dy * eps / (x^2 + eps)) and
 * needs 1 / RMS to more than f32 precision, as rowstats.ts's short runs.
 */
const SHORT_ROW: i32 = 16;

/**
 * Forward: y, the block's invstd[r] (and mean[r] when CENTERED; K = R), and with a residual
 * (non-zero pointer) sum = x + residual (+ addBias when flagged). weight / bias / addBias (P = L) as flagged.
 */
export function rowNormForward(
  x: usize, residual: usize, sum: usize, y: usize, R: i32, L: i32, flags: i32, eps: f64, block: usize,
): void {
  const weight = optional(block, R, L, WEIGHT_AT, flags, WEIGHT), bias = optional(block, R, L, BIAS_AT, flags, BIAS);
  const addBias = optional(block, R, L, ADD_BIAS_AT, flags, ADD_BIAS);
  const centered = (flags & CENTERED) != 0;
  const mean64 = stat(block, R, MEAN), invstd64 = stat(block, R, INVSTD);
  const rowBytes = <usize>L << 2;
  if (!centered && !residual && weight && !bias && L > SHORT_ROW) {
    scaledRows(x, y, R, L, eps, weight, invstd64);
    return;
  }
  for (let r = 0; r < R; r++) {
    const o = <usize>r * rowBytes;
    let s = x + o;
    let squares: f64 = 0;
    if (residual) {
      s = sum + o;
      squares = addRow(x + o, residual + o, addBias, s, L);
    } else if (!centered) {
      squares = sumSquares(s, L);
    }
    let mean: f64 = 0, invstd: f64;
    if (centered) {
      runMoments(s, L);
      mean = momentMean();
      invstd = 1.0 / Math.sqrt(momentM2() / <f64>L + eps);
      store<f64>(mean64 + (<usize>r << 3), mean);
    } else {
      invstd = 1.0 / Math.sqrt(squares / <f64>L + eps);
    }
    store<f64>(invstd64 + (<usize>r << 3), invstd);
    const shift = <f32>mean;
    if (!centered && weight && !bias) scaleRow(s, y + o, L, <f32>invstd, weight);
    else applyRow(s, y + o, L, shift, <f32>invstd, <f32>(-(mean - <f64>shift) * invstd), weight, bias);
  }
}

/**
 * Floats per piece of a row's sum of squares: each piece is summed in f32 lanes (in cache,
 * a quarter of the work of f64 lanes) and widened to f64, so a row of any length keeps
 * about f32 precision in its mean square. A multiple of 16.
 */
const SQUARE_CHUNK: i32 = 512;

/**
 * s = x + r (+ ab, when non-zero) over one row, returning sum(s^2) (RMS norm's statistic,
 * formed while s is in registers), in pieces as sumSquares.
 */
function addRow(x: usize, r: usize, ab: usize, s: usize, L: i32): f64 {
  if (L <= SHORT_ROW) {
    addPiece(x, r, ab, s, L);
    return exactSquares(s, L);
  }
  let total: f64 = 0;
  for (let off = 0; off < L; off += SQUARE_CHUNK) {
    const n = min(SQUARE_CHUNK, L - off), q = <usize>off << 2;
    const part = addPiece(x + q, r + q, ab ? ab + q : 0, s + q, n);
    total += isFinite(part) ? part : exactSquares(s + q, n);
  }
  return total;
}

function addPiece(x: usize, r: usize, ab: usize, s: usize, n: i32): f64 {
  let i = 0;
  let sq: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
    if (ab) {
      for (; i + 8 <= n; i += 8) {
        const q = <usize>i << 2;
        const u = f32x4.add(f32x4.add(v128.load(x + q), v128.load(r + q)), v128.load(ab + q));
        const v = f32x4.add(f32x4.add(v128.load(x + q, 16), v128.load(r + q, 16)), v128.load(ab + q, 16));
        v128.store(s + q, u);
        v128.store(s + q, v, 16);
        a0 = f32x4.add(a0, f32x4.mul(u, u));
        a1 = f32x4.add(a1, f32x4.mul(v, v));
      }
    } else {
      for (; i + 8 <= n; i += 8) {
        const q = <usize>i << 2;
        const u = f32x4.add(v128.load(x + q), v128.load(r + q));
        const v = f32x4.add(v128.load(x + q, 16), v128.load(r + q, 16));
        v128.store(s + q, u);
        v128.store(s + q, v, 16);
        a0 = f32x4.add(a0, f32x4.mul(u, u));
        a1 = f32x4.add(a1, f32x4.mul(v, v));
      }
    }
    sq = hsum64(f32x4.add(a0, a1));
  }
  let t: f32 = 0;
  for (; i < n; i++) {
    const q = <usize>i << 2;
    let v = load<f32>(x + q) + load<f32>(r + q);
    if (ab) v += load<f32>(ab + q);
    store<f32>(s + q, v);
    t += v * v;
  }
  return sq + <f64>t;
}

/** sum(s^2) over one row: pieces of SQUARE_CHUNK in f32 lanes widened to f64, redone in f64 where f32 overflowed (|s| past ~1e19). */
function sumSquares(s: usize, L: i32): f64 {
  if (L <= SHORT_ROW) return exactSquares(s, L);
  let total: f64 = 0;
  for (let off = 0; off < L; off += SQUARE_CHUNK) {
    const n = min(SQUARE_CHUNK, L - off), p = s + (<usize>off << 2);
    const part = pieceSquares(p, n);
    total += isFinite(part) ? part : exactSquares(p, n);
  }
  return total;
}

function pieceSquares(p: usize, n: i32): f64 {
  let i = 0;
  let sq: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (; i + 16 <= n; i += 16) {
      const q = p + (<usize>i << 2);
      const u0 = v128.load(q), u1 = v128.load(q, 16), u2 = v128.load(q, 32), u3 = v128.load(q, 48);
      a0 = f32x4.add(a0, f32x4.mul(u0, u0));
      a1 = f32x4.add(a1, f32x4.mul(u1, u1));
      a2 = f32x4.add(a2, f32x4.mul(u2, u2));
      a3 = f32x4.add(a3, f32x4.mul(u3, u3));
    }
    sq = hsum64(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  }
  let t0: f32 = 0, t1: f32 = 0;
  for (; i + 2 <= n; i += 2) {
    const q = p + (<usize>i << 2);
    const u = load<f32>(q), v = load<f32>(q, 4);
    t0 += u * u;
    t1 += v * v;
  }
  if (i < n) {
    const u = load<f32>(p + (<usize>i << 2));
    t0 += u * u;
  }
  return sq + <f64>(t0 + t1);
}

/** sum(s^2) over n floats in f64 throughout. */
function exactSquares(p: usize, n: i32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(p + (<usize>i << 2));
    total += v * v;
  }
  return total;
}

/**
 * RMS norm with a weight (the module's forward), software-pipelined: each row's
 * y = x * invstd * w is written in the same loop that sums the next row's squares, so the
 * next row streams in from memory while this one is computed from cache.
 */
function scaledRows(x: usize, y: usize, R: i32, L: i32, eps: f64, w: usize, invstd64: usize): void {
  const rowBytes = <usize>L << 2;
  let squares = sumSquares(x, L);
  for (let r = 0; r < R; r++) {
    const o = <usize>r * rowBytes;
    const invstd = 1.0 / Math.sqrt(squares / <f64>L + eps);
    store<f64>(invstd64 + (<usize>r << 3), invstd);
    // The last row sums itself again (from cache) rather than reading past the tensor.
    const next = r + 1 < R ? o + rowBytes : o;
    squares = 0;
    for (let off = 0; off < L; off += SQUARE_CHUNK) {
      const n = min(SQUARE_CHUNK, L - off), q = o + (<usize>off << 2), nq = next + (<usize>off << 2);
      const part = scalePiece(x + q, y + q, n, <f32>invstd, w + (<usize>off << 2), x + nq);
      squares += isFinite(part) ? part : exactSquares(x + nq, n);
    }
  }
}

/**
 * y = s * scale * w over n floats, returning sum(t^2) of the n floats at t in pieceSquares'
 * order, lane for lane and pair for pair: a row's sum has the same bits fused or not, so a
 * range of rows may start anywhere (the threaded backend's cut by rows).
 */
function scalePiece(s: usize, y: usize, n: i32, scale: f32, w: usize, t: usize): f64 {
  let i = 0;
  let sq: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const vk = f32x4.splat(scale);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (; i + 16 <= n; i += 16) {
      const q = <usize>i << 2;
      for (let k: usize = 0; k < 64; k += 16) {
        v128.store(y + q + k, f32x4.mul(f32x4.mul(v128.load(s + q + k), vk), v128.load(w + q + k)));
      }
      const u0 = v128.load(t + q), u1 = v128.load(t + q, 16), u2 = v128.load(t + q, 32), u3 = v128.load(t + q, 48);
      a0 = f32x4.add(a0, f32x4.mul(u0, u0));
      a1 = f32x4.add(a1, f32x4.mul(u1, u1));
      a2 = f32x4.add(a2, f32x4.mul(u2, u2));
      a3 = f32x4.add(a3, f32x4.mul(u3, u3));
    }
    sq = hsum64(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  }
  const q = <usize>i << 2;
  scaleRow(s + q, y + q, n - i, scale, w + q);
  // Under 16 floats left: pieceSquares takes them in its scalar pairs (its lanes add 0).
  return sq + pieceSquares(t + q, n - i);
}

/** y = s * scale * w over one row: RMS norm with a weight (no shift, no offset). */
function scaleRow(s: usize, y: usize, L: i32, scale: f32, w: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vk = f32x4.splat(scale);
    for (; i + 8 <= L; i += 8) {
      const q = <usize>i << 2;
      v128.store(y + q, f32x4.mul(f32x4.mul(v128.load(s + q), vk), v128.load(w + q)));
      v128.store(y + q, f32x4.mul(f32x4.mul(v128.load(s + q, 16), vk), v128.load(w + q, 16)), 16);
    }
  }
  for (; i < L; i++) {
    const q = <usize>i << 2;
    store<f32>(y + q, load<f32>(s + q) * scale * load<f32>(w + q));
  }
}

/** y = ((s - shift) * scale + offset) * w + b over one row (w, b == 0: absent). */
function applyRow(s: usize, y: usize, L: i32, shift: f32, scale: f32, offset: f32, w: usize, b: usize): void {
  if (!w && !b) {
    runApply(s, y, L, shift, scale, offset);
    return;
  }
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(shift), vk = f32x4.splat(scale), vo = f32x4.splat(offset);
    if (w && b) {
      for (; i + 4 <= L; i += 4) {
        const q = <usize>i << 2;
        const h = f32x4.add(f32x4.mul(f32x4.sub(v128.load(s + q), vs), vk), vo);
        v128.store(y + q, f32x4.add(f32x4.mul(h, v128.load(w + q)), v128.load(b + q)));
      }
    } else if (w) {
      for (; i + 8 <= L; i += 8) {
        const q = <usize>i << 2;
        const h0 = f32x4.add(f32x4.mul(f32x4.sub(v128.load(s + q), vs), vk), vo);
        const h1 = f32x4.add(f32x4.mul(f32x4.sub(v128.load(s + q, 16), vs), vk), vo);
        v128.store(y + q, f32x4.mul(h0, v128.load(w + q)));
        v128.store(y + q, f32x4.mul(h1, v128.load(w + q, 16)), 16);
      }
    } else {
      for (; i + 4 <= L; i += 4) {
        const q = <usize>i << 2;
        const h = f32x4.add(f32x4.mul(f32x4.sub(v128.load(s + q), vs), vk), vo);
        v128.store(y + q, f32x4.add(h, v128.load(b + q)));
      }
    }
  }
  for (; i < L; i++) {
    const q = <usize>i << 2;
    const h = (load<f32>(s + q) - shift) * scale + offset;
    store<f32>(y + q, (w ? h * load<f32>(w + q) : h) + (b ? load<f32>(b + q) : 0));
  }
}

/**
 * Backward given the forward's invstd64 (and mean64 when CENTERED), x being the normalized
 * input (the forward's sum when it had a residual). With g = dy * w:
 *   dx = invstd * (g - mean(g) - xhat * mean(g * xhat)) (+ dsum)  per row (RMS norm: without mean(g)),
 *   dweight[i] = sum over rows of dy * xhat, dbias[i] = sum of dy, daddBias[i] = sum of dx.
 * dx may be 0 when not wanted (then there is no daddBias); dsum 0: none; dweight / dbias /
 * daddBias are written as flagged; no weight means ones.
 * scratch: 3 * L f32 then 3 * L f64 (block sums, then totals of dweight / dbias / daddBias).
 */
export function rowNormBackward(dy: usize, x: usize, dsum: usize, dx: usize, R: i32, L: i32, flags: i32, block: usize): void {
  rowNormBackwardBlocks(dy, x, dsum, dx, R, L, flags, block, 0);
}

/**
 * rowNormBackward, except that with a non-zero `partials` the parameter gradients' f32 block
 * sums go to a slot of 3 * L floats per FLUSH_ROWS rows there (blocksums.ts), and dweight /
 * dbias / daddBias are not written: the threaded backend's cut (rows L > EXACT_ROW only).
 */
export function rowNormBackwardBlocks(
  dy: usize, x: usize, dsum: usize, dx: usize, R: i32, L: i32, flags: i32, block: usize, partials: usize,
): void {
  const weight = optional(block, R, L, WEIGHT_AT, flags, WEIGHT);
  const dweight = optional(block, R, L, DWEIGHT_AT, flags, DWEIGHT), dbias = optional(block, R, L, DBIAS_AT, flags, DBIAS);
  if (!dx) flags &= ~DADD_BIAS;
  const daddBias = optional(block, R, L, DADD_BIAS_AT, flags, DADD_BIAS);
  const centered = (flags & CENTERED) != 0;
  const mean64 = stat(block, R, MEAN), invstd64 = stat(block, R, INVSTD);
  const scratch = scratchOf(block, R, L);
  const rowBytes = <usize>L << 2;
  // The block sums and totals of the wanted gradients (0: not wanted).
  const blockW = dweight ? scratch : 0, blockB = dbias ? scratch + rowBytes : 0, blockA = daddBias ? scratch + 2 * rowBytes : 0;
  const totals = scratch + 3 * rowBytes, totalBytes = <usize>L << 3;
  const params = dweight != 0 || dbias != 0 || daddBias != 0;
  if (params) memory.fill(scratch, 0, 3 * rowBytes + 3 * totalBytes);
  if (L <= EXACT_ROW) {
    exactRows(dy, x, dsum, dx, R, L, centered, weight, params, mean64, invstd64, totals, totals + totalBytes, totals + 2 * totalBytes);
  } else if (!centered && weight && blockW && dx && !dsum && !blockB && !blockA) {
    scaledGradRows(dy, x, dx, R, L, weight, invstd64, scratch, totals, partials);
  } else {
    const invL = 1.0 / <f64>L;
    for (let r = 0; r < R; r++) {
      const o = <usize>r * rowBytes;
      const mean = centered ? load<f64>(mean64 + (<usize>r << 3)) : 0;
      const invstd = load<f64>(invstd64 + (<usize>r << 3));
      const shift = <f32>mean;
      const resid = mean - <f64>shift;
      const scale = <f32>invstd, offset = <f32>(-resid * invstd);
      if (dx) {
        runWeightedSums(dy + o, x + o, weight, L, shift);
        const sumG = centered ? dotSumDy() : 0;
        const sumGXmu = dotSumDyX() - resid * sumG;
        // dx = (g + b * (x - shift) + k) * invstd, as layernorm.ts (k = 0 for RMS norm).
        const b = -invstd * invstd * sumGXmu * invL;
        const k = centered ? -sumG * invL - b * resid : 0;
        if (weight && blockW) {
          gradAccumulateRow(dy + o, x + o, dx + o, weight, L, shift, scale, <f32>b, <f32>k, offset, blockW);
        } else {
          if (weight) gradRow(dy + o, x + o, dx + o, weight, L, shift, scale, <f32>b, <f32>k);
          else runElemt(dy + o, x + o, dx + o, L, shift, 1, <f32>b, <f32>k, scale);
          if (blockW) accumulateRow(dy + o, x + o, L, shift, scale, offset, blockW);
        }
        if (dsum) addInto(dx + o, dsum + o, L);
        if (blockA) addInto(blockA, dx + o, L);
      } else if (blockW) {
        accumulateRow(dy + o, x + o, L, shift, scale, offset, blockW);
      }
      if (blockB) addInto(blockB, dy + o, L);
      if (params && ((r + 1) % FLUSH_ROWS == 0 || r == R - 1)) endBlock(scratch, 3, L, totals, partials, r / FLUSH_ROWS);
    }
  }
  if (!partials) narrowGrads(block, R, L, flags, 3, totals, 0, L);
}

/**
 * RMS norm's backward with a weight, dx and dweight (the module's case), software-pipelined as
 * scaledRows: each row's dx = (dy * w + b * x) * invstd and dweight's block sums
 * dy * x * invstd are formed in the loop that sums the next row's dy * w * x.
 */
function scaledGradRows(
  dy: usize, x: usize, dx: usize, R: i32, L: i32, w: usize, invstd64: usize, blockW: usize, totals: usize, partials: usize,
): void {
  const rowBytes = <usize>L << 2;
  const invL = 1.0 / <f64>L;
  let sumGX = weightedDot(dy, x, w, L, dy, x, 0, 0, 0, 0);
  for (let r = 0; r < R; r++) {
    const o = <usize>r * rowBytes;
    const invstd = load<f64>(invstd64 + (<usize>r << 3));
    const b = <f32>(-invstd * invstd * sumGX * invL);
    const next = r + 1 < R ? o + rowBytes : o;
    sumGX = weightedDot(dy + next, x + next, w, L, dy + o, x + o, dx + o, blockW, <f32>invstd, b);
    // All three block sums (dbias' and daddBias' stay 0): the slots of partials have one layout.
    if ((r + 1) % FLUSH_ROWS == 0 || r == R - 1) endBlock(blockW, 3, L, totals, partials, r / FLUSH_ROWS);
  }
}

/**
 * sum(ndy * w * nx) over one row (f32 lanes in pieces of SQUARE_CHUNK, widened to f64; redone
 * in f64 where they overflow) and, when dx is non-zero, in the same loop over the row at dy / x:
 * dx = (dy * w + b * x) * a and blockW += dy * x * a.
 */
function weightedDot(
  ndy: usize, nx: usize, w: usize, L: i32, dy: usize, x: usize, dx: usize, blockW: usize, a: f32, b: f32,
): f64 {
  let total: f64 = 0;
  for (let off = 0; off < L; off += SQUARE_CHUNK) {
    const n = min(SQUARE_CHUNK, L - off), q = <usize>off << 2;
    let i = 0;
    let part: f64 = 0;
    if (ASC_FEATURE_SIMD) {
      const va = f32x4.splat(a), vb = f32x4.splat(b);
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
      if (dx) {
        for (; i + 8 <= n; i += 8) {
          const k = q + (<usize>i << 2);
          const w0 = v128.load(w + k), w1 = v128.load(w + k, 16);
          s0 = f32x4.add(s0, f32x4.mul(f32x4.mul(v128.load(ndy + k), w0), v128.load(nx + k)));
          s1 = f32x4.add(s1, f32x4.mul(f32x4.mul(v128.load(ndy + k, 16), w1), v128.load(nx + k, 16)));
          const g0 = v128.load(dy + k), g1 = v128.load(dy + k, 16);
          const x0 = f32x4.mul(v128.load(x + k), va), x1 = f32x4.mul(v128.load(x + k, 16), va);
          // (dy * w + b * x) * a = dy * w * a + b * (x * a): x * a serves dx and dweight.
          v128.store(dx + k, f32x4.add(f32x4.mul(f32x4.mul(g0, w0), va), f32x4.mul(vb, x0)));
          v128.store(dx + k, f32x4.add(f32x4.mul(f32x4.mul(g1, w1), va), f32x4.mul(vb, x1)), 16);
          v128.store(blockW + k, f32x4.add(v128.load(blockW + k), f32x4.mul(g0, x0)));
          v128.store(blockW + k, f32x4.add(v128.load(blockW + k, 16), f32x4.mul(g1, x1)), 16);
        }
      } else {
        for (; i + 8 <= n; i += 8) {
          const k = q + (<usize>i << 2);
          s0 = f32x4.add(s0, f32x4.mul(f32x4.mul(v128.load(ndy + k), v128.load(w + k)), v128.load(nx + k)));
          s1 = f32x4.add(s1, f32x4.mul(f32x4.mul(v128.load(ndy + k, 16), v128.load(w + k, 16)), v128.load(nx + k, 16)));
        }
      }
      part = hsum64(f32x4.add(s0, s1));
    }
    let t: f32 = 0;
    for (; i < n; i++) {
      const k = q + (<usize>i << 2);
      const wi = load<f32>(w + k);
      t += load<f32>(ndy + k) * wi * load<f32>(nx + k);
      if (dx) {
        const g = load<f32>(dy + k), xi = load<f32>(x + k);
        const xa = xi * a;
        store<f32>(dx + k, g * wi * a + b * xa);
        store<f32>(blockW + k, load<f32>(blockW + k) + g * xa);
      }
    }
    part += <f64>t;
    if (!isFinite(part)) {
      part = 0;
      for (let j = 0; j < n; j++) {
        const k = q + (<usize>j << 2);
        part += <f64>load<f32>(ndy + k) * <f64>load<f32>(w + k) * <f64>load<f32>(nx + k);
      }
    }
    total += part;
  }
  return total;
}

/** dx = (dy * w + b * (x - shift) + k) * a over one row. */
function gradRow(dy: usize, x: usize, dx: usize, w: usize, L: i32, shift: f32, a: f32, b: f32, k: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(shift), va = f32x4.splat(a), vb = f32x4.splat(b), vk = f32x4.splat(k);
    for (; i + 4 <= L; i += 4) {
      const q = <usize>i << 2;
      const g = f32x4.mul(v128.load(dy + q), v128.load(w + q));
      v128.store(dx + q, f32x4.mul(f32x4.add(f32x4.add(g, f32x4.mul(vb, f32x4.sub(v128.load(x + q), vs))), vk), va));
    }
  }
  for (; i < L; i++) {
    const q = <usize>i << 2;
    store<f32>(dx + q, (load<f32>(dy + q) * load<f32>(w + q) + b * (load<f32>(x + q) - shift) + k) * a);
  }
}

/**
 * gradRow and the dweight part of accumulateRow in one pass (the module's case): dy, x and
 * x - shift are loaded and formed once.
 */
function gradAccumulateRow(
  dy: usize, x: usize, dx: usize, w: usize, L: i32, shift: f32, a: f32, b: f32, k: f32, offset: f32, blockW: usize,
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
    }
  }
  for (; i < L; i++) {
    const q = <usize>i << 2;
    const g = load<f32>(dy + q);
    const d = load<f32>(x + q) - shift;
    store<f32>(dx + q, (g * load<f32>(w + q) + b * d + k) * a);
    store<f32>(blockW + q, load<f32>(blockW + q) + g * (d * a + offset));
  }
}

/** blockW += dy * xhat over one row, xhat = (x - shift) * scale + offset. */
function accumulateRow(dy: usize, x: usize, L: i32, shift: f32, scale: f32, offset: f32, blockW: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(shift), vk = f32x4.splat(scale), vo = f32x4.splat(offset);
    for (; i + 4 <= L; i += 4) {
      const q = <usize>i << 2;
      const h = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), vs), vk), vo);
      v128.store(blockW + q, f32x4.add(v128.load(blockW + q), f32x4.mul(v128.load(dy + q), h)));
    }
  }
  for (; i < L; i++) {
    const q = <usize>i << 2;
    store<f32>(blockW + q, load<f32>(blockW + q) + load<f32>(dy + q) * ((load<f32>(x + q) - shift) * scale + offset));
  }
}

/** dst += src over one row. */
function addInto(dst: usize, src: usize, L: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= L; i += 4) {
      const q = <usize>i << 2;
      v128.store(dst + q, f32x4.add(v128.load(dst + q), v128.load(src + q)));
    }
  }
  for (; i < L; i++) {
    const q = <usize>i << 2;
    store<f32>(dst + q, load<f32>(dst + q) + load<f32>(src + q));
  }
}

/**
 * The backward straight from the definition in f64, for rows of very few values: with one
 * value per row the exact RMS-norm dx is eps / (x^2 + eps) times dy / rms, a difference of
 * O(1) terms that f32 coefficients would lose (layer norm: two values, see layernorm.ts).
 */
function exactRows(
  dy: usize, x: usize, dsum: usize, dx: usize, R: i32, L: i32, centered: bool, weight: usize, params: bool,
  mean64: usize, invstd64: usize, totalW: usize, totalB: usize, totalA: usize,
): void {
  const invL = 1.0 / <f64>L;
  for (let r = 0; r < R; r++) {
    const mean = centered ? load<f64>(mean64 + (<usize>r << 3)) : 0;
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
    const mg = centered ? sg * invL : 0, mgx = sgx * invL;
    for (let i = 0; i < L; i++) {
      const q = (base + <usize>i) << 2;
      const w = weight ? <f64>load<f32>(weight + (<usize>i << 2)) : 1.0;
      const xhat = (<f64>load<f32>(x + q) - mean) * invstd;
      let v = invstd * (<f64>load<f32>(dy + q) * w - mg - xhat * mgx);
      if (dsum) v += <f64>load<f32>(dsum + q);
      store<f32>(dx + q, <f32>v);
      if (params) {
        const o8 = <usize>i << 3;
        store<f64>(totalA + o8, load<f64>(totalA + o8) + v);
      }
    }
  }
}
