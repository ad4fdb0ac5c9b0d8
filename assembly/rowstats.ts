// Statistics of contiguous runs of f32: what the normalization family reduces over. A
// layer-norm row, a group-norm group (C / G channels of one sample) and an instance-norm
// plane are each one run of L floats.
//
// Stability as in the batch-norm statistics: the run is cut into pieces of at most RUN_CHUNK
// floats; each piece gets shifted sums in f32 lanes around a pilot close to its mean (a second,
// L1-resident pass re-centers when the pilot was not close enough), and the pieces are merged
// in f64 with Chan's formula. A run with mean 1e4 and std 1e-2 keeps every digit the input has.
//
// The backward sums (sum(dy), sum(dy * (x - center))) are chunked the same way: f32 lanes
// over at most RUN_CHUNK floats, widened to f64 between chunks.

import { hsum64 } from "./simd";

/** Floats per piece: a piece may be read twice (see pieceMoments), so it must stay in L1. A multiple of 16. */
const RUN_CHUNK: i32 = 2048;
/**
 * Runs of at most this many floats get their moments in f64 throughout: the backward of
 * such short runs is a difference of nearly equal terms (see the exact paths of
 * layernorm.ts / groupnorm.ts) and needs the variance to more than f32 precision.
 */
const SHORT_RUN: i32 = 16;

// Results travel in globals (AssemblyScript has no tuples); read them with the getters.
let runMean: f64 = 0;
let runM2: f64 = 0;
let pieceMean: f64 = 0;
let pieceM2: f64 = 0;
let sumA: f64 = 0;
let sumB: f64 = 0;

/** Mean of the last run given to runMoments. */
// @ts-ignore: decorator
@inline export function momentMean(): f64 { return runMean; }
/** Sum of squared deviations from the mean of the last run given to runMoments. */
// @ts-ignore: decorator
@inline export function momentM2(): f64 { return runM2; }
/** First sum of the last runDotSums / runWeightedSums call: sum(dy) (or sum(dy * w)). */
// @ts-ignore: decorator
@inline export function dotSumDy(): f64 { return sumA; }
/** Second sum: sum(dy * (x - center)) (or sum(dy * w * (x - center))). */
// @ts-ignore: decorator
@inline export function dotSumDyX(): f64 { return sumB; }

/**
 * A piece's own mean and M2 into pieceMean / pieceM2, shifted by `pilot` (a guess of the
 * mean): one pass of sums of d = x - pilot and d * d in f32 lanes, widened to f64. Their
 * rounding error is about eps_f32 * (M2 + n * (mean - pilot)^2), so the pass is trusted only
 * when the pilot lies within one standard deviation of the mean; otherwise a second,
 * L1-resident pass centers on the mean just found (the classic two-pass result).
 */
function pieceMoments(p: usize, n: i32, pilot: f32): void {
  checkedCenteredSums(p, n, pilot);
  const nn = <f64>n;
  let shift = sumA / nn;
  let m2 = sumB - sumA * shift;
  if (shift * shift * nn > m2) {
    pilot = <f32>(<f64>pilot + shift);
    checkedCenteredSums(p, n, pilot);
    shift = sumA / nn;
    m2 = sumB - sumA * shift;
  }
  pieceMean = <f64>pilot + shift;
  pieceM2 = max(m2, 0);
}

/** sum(x - center) and sum((x - center)^2) over n <= RUN_CHUNK floats into sumA / sumB. */
function centeredSums(p: usize, n: i32, center: f32): void {
  let i = 0;
  let sd: f64 = 0, sdd: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const m = f32x4.splat(center);
    let d0 = f32x4.splat(0), d1 = f32x4.splat(0), q0 = f32x4.splat(0), q1 = f32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const q = p + (<usize>i << 2);
      const u = f32x4.sub(v128.load(q), m);
      const v = f32x4.sub(v128.load(q, 16), m);
      d0 = f32x4.add(d0, u); q0 = f32x4.add(q0, f32x4.mul(u, u));
      d1 = f32x4.add(d1, v); q1 = f32x4.add(q1, f32x4.mul(v, v));
    }
    for (; i + 4 <= n; i += 4) {
      const u = f32x4.sub(v128.load(p + (<usize>i << 2)), m);
      d0 = f32x4.add(d0, u); q0 = f32x4.add(q0, f32x4.mul(u, u));
    }
    sd = hsum64(f32x4.add(d0, d1));
    sdd = hsum64(f32x4.add(q0, q1));
  }
  let s0: f32 = 0, s1: f32 = 0, t0: f32 = 0, t1: f32 = 0;
  for (; i + 2 <= n; i += 2) {
    const q = p + (<usize>i << 2);
    const u = load<f32>(q) - center, v = load<f32>(q, 4) - center;
    s0 += u; t0 += u * u;
    s1 += v; t1 += v * v;
  }
  if (i < n) {
    const u = load<f32>(p + (<usize>i << 2)) - center;
    s0 += u; t0 += u * u;
  }
  sumA = sd + <f64>(s0 + s1);
  sumB = sdd + <f64>(t0 + t1);
}

/**
 * centeredSums, redone in f64 when the f32 lanes overflowed: squares of x - center pass the
 * f32 range once |x - center| exceeds ~1.8e19, so data near the float32 limits still give
 * finite, right moments (as the batch-norm statistics in stats.ts).
 */
function checkedCenteredSums(p: usize, n: i32, center: f32): void {
  centeredSums(p, n, center);
  if (isFinite(sumA) && isFinite(sumB)) return;
  let sd: f64 = 0, sdd: f64 = 0;
  for (let i = 0; i < n; i++) {
    const d = <f64>load<f32>(p + (<usize>i << 2)) - <f64>center;
    sd += d; sdd += d * d;
  }
  sumA = sd;
  sumB = sdd;
}

/** Mean of the first (up to) 16 floats: the pilot of a run's first piece (in f64: values near 3e38 overflow an f32 sum). */
export function firstPilot(p: usize, L: i32): f32 {
  const n = min(L, 16);
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>load<f32>(p + (<usize>i << 2));
  return <f32>(s / <f64>n);
}

/** Mean and M2 (sum of squared deviations) of L contiguous floats; see momentMean / momentM2. */
export function runMoments(p: usize, L: i32): void {
  if (L <= SHORT_RUN) {
    shortMoments(p, L);
    return;
  }
  if (L <= RUN_CHUNK) {
    pieceMoments(p, L, firstPilot(p, L));
    runMean = pieceMean;
    runM2 = pieceM2;
    return;
  }
  // Near-equal pieces, rounded to whole SIMD blocks, merged with Chan's formula. Each
  // piece's pilot is the mean so far.
  const pieces = (L + RUN_CHUNK - 1) / RUN_CHUNK;
  const len = (((L + pieces - 1) / pieces) + 15) & ~15;
  let count: f64 = 0, mean: f64 = 0, m2: f64 = 0;
  let pilot = firstPilot(p, L);
  for (let off = 0; off < L; off += len) {
    const n = min(len, L - off);
    pieceMoments(p + (<usize>off << 2), n, pilot);
    const nn = <f64>n;
    const total = count + nn;
    const delta = pieceMean - mean;
    mean += delta * (nn / total);
    m2 += pieceM2 + delta * delta * (count * nn / total);
    count = total;
    pilot = <f32>mean;
  }
  runMean = mean;
  runM2 = m2;
}

/** True when runMoments takes one SIMD piece of L floats: not the short f64 path, at most RUN_CHUNK. */
export function isOnePiece(L: i32): bool {
  return L > SHORT_RUN && L <= RUN_CHUNK;
}

/**
 * runMoments of a one-piece run whose sums of x - pilot and (x - pilot)^2 a fused loop formed
 * (sum, sumSq; pilot: firstPilot of this run, so no run's statistics depend on its
 * neighbours): they are kept when the pilot held as
 * pieceMoments' first pass is (finite, within one standard deviation of the mean), else the
 * run gets runMoments from scratch: a pilot off by orders of magnitude (a row of 1e-40 after a
 * row of ones) leaves nothing of the run in f32 differences, not even for a second pass.
 */
export function fusedMoments(p: usize, L: i32, pilot: f32, sum: f64, sumSq: f64): void {
  if (isFinite(sum) && isFinite(sumSq)) {
    const nn = <f64>L;
    const shift = sum / nn;
    const m2 = sumSq - sum * shift;
    if (!(shift * shift * nn > m2)) {
      runMean = <f64>pilot + shift;
      runM2 = max(m2, 0);
      return;
    }
  }
  runMoments(p, L);
}

/** Two passes in f64 over a short run. */
function shortMoments(p: usize, L: i32): void {
  let sum: f64 = 0;
  for (let i = 0; i < L; i++) sum += <f64>load<f32>(p + (<usize>i << 2));
  const mean = sum / <f64>L;
  let m2: f64 = 0;
  for (let i = 0; i < L; i++) {
    const d = <f64>load<f32>(p + (<usize>i << 2)) - mean;
    m2 += d * d;
  }
  runMean = mean;
  runM2 = m2;
}

/** sum(dy) and sum(dy * (x - center)) over n <= RUN_CHUNK floats, f32 lanes widened. */
function pieceDotSums(dy: usize, x: usize, n: i32, center: f32): void {
  let i = 0;
  let a: f64 = 0, b: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const m = f32x4.splat(center);
    let g0 = f32x4.splat(0), g1 = f32x4.splat(0), h0 = f32x4.splat(0), h1 = f32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const q = <usize>i << 2;
      const u = v128.load(dy + q), v = v128.load(dy + q, 16);
      g0 = f32x4.add(g0, u);
      g1 = f32x4.add(g1, v);
      h0 = f32x4.add(h0, f32x4.mul(u, f32x4.sub(v128.load(x + q), m)));
      h1 = f32x4.add(h1, f32x4.mul(v, f32x4.sub(v128.load(x + q, 16), m)));
    }
    for (; i + 4 <= n; i += 4) {
      const q = <usize>i << 2;
      const u = v128.load(dy + q);
      g0 = f32x4.add(g0, u);
      h0 = f32x4.add(h0, f32x4.mul(u, f32x4.sub(v128.load(x + q), m)));
    }
    a = hsum64(f32x4.add(g0, g1));
    b = hsum64(f32x4.add(h0, h1));
  }
  let s: f32 = 0, t: f32 = 0;
  for (; i < n; i++) {
    const q = <usize>i << 2;
    const g = load<f32>(dy + q);
    s += g;
    t += g * (load<f32>(x + q) - center);
  }
  addPieceSums(a + <f64>s, b + <f64>t, dy, x, 0, n, center);
}

/** sum(dy) and sum(dy * (x - center)) over L contiguous floats; see dotSumDy / dotSumDyX. */
export function runDotSums(dy: usize, x: usize, L: i32, center: f32): void {
  sumA = 0; sumB = 0;
  for (let off = 0; off < L; off += RUN_CHUNK) {
    const o = <usize>off << 2;
    pieceDotSums(dy + o, x + o, min(RUN_CHUNK, L - off), center);
  }
}

/** sum(dy * w) and sum(dy * w * (x - center)) over n <= RUN_CHUNK floats. */
function pieceWeightedSums(dy: usize, x: usize, w: usize, n: i32, center: f32): void {
  let i = 0;
  let a: f64 = 0, b: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const m = f32x4.splat(center);
    let g0 = f32x4.splat(0), g1 = f32x4.splat(0), h0 = f32x4.splat(0), h1 = f32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const q = <usize>i << 2;
      const u = f32x4.mul(v128.load(dy + q), v128.load(w + q));
      const v = f32x4.mul(v128.load(dy + q, 16), v128.load(w + q, 16));
      g0 = f32x4.add(g0, u);
      g1 = f32x4.add(g1, v);
      h0 = f32x4.add(h0, f32x4.mul(u, f32x4.sub(v128.load(x + q), m)));
      h1 = f32x4.add(h1, f32x4.mul(v, f32x4.sub(v128.load(x + q, 16), m)));
    }
    for (; i + 4 <= n; i += 4) {
      const q = <usize>i << 2;
      const u = f32x4.mul(v128.load(dy + q), v128.load(w + q));
      g0 = f32x4.add(g0, u);
      h0 = f32x4.add(h0, f32x4.mul(u, f32x4.sub(v128.load(x + q), m)));
    }
    a = hsum64(f32x4.add(g0, g1));
    b = hsum64(f32x4.add(h0, h1));
  }
  let s: f32 = 0, t: f32 = 0;
  for (; i < n; i++) {
    const q = <usize>i << 2;
    const g = load<f32>(dy + q) * load<f32>(w + q);
    s += g;
    t += g * (load<f32>(x + q) - center);
  }
  addPieceSums(a + <f64>s, b + <f64>t, dy, x, w, n, center);
}

/**
 * Adds a piece's sums (of dy * w and dy * w * (x - center); w == 0: ones) into sumA / sumB,
 * summing the piece again in f64 if its f32 lanes overflowed (dy * (x - center) far beyond
 * 1e38 / n, e.g. values near 1e37 with gradients of 10).
 */
function addPieceSums(a: f64, b: f64, dy: usize, x: usize, w: usize, n: i32, center: f32): void {
  if (!isFinite(a) || !isFinite(b)) {
    a = 0; b = 0;
    for (let i = 0; i < n; i++) {
      const q = <usize>i << 2;
      const g = <f64>load<f32>(dy + q) * (w ? <f64>load<f32>(w + q) : 1.0);
      a += g;
      b += g * (<f64>load<f32>(x + q) - <f64>center);
    }
  }
  sumA += a;
  sumB += b;
}

/**
 * sum(dy * w) and sum(dy * w * (x - center)) over L contiguous floats with an elementwise
 * weight w (w == 0: no weight, as runDotSums).
 */
export function runWeightedSums(dy: usize, x: usize, w: usize, L: i32, center: f32): void {
  if (!w) {
    runDotSums(dy, x, L, center);
    return;
  }
  sumA = 0; sumB = 0;
  for (let off = 0; off < L; off += RUN_CHUNK) {
    const o = <usize>off << 2;
    pieceWeightedSums(dy + o, x + o, w + o, min(RUN_CHUNK, L - off), center);
  }
}
