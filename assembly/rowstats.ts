// Statistics of contiguous runs of f32: what the normalization family reduces over. A
// layer-norm row, a group-norm group (C / G channels of one sample) and an instance-norm
// plane are each one run of L floats.
//
// Same stability recipe as the batch-norm statistics: the run is cut into pieces of at
// most RUN_CHUNK floats; each piece is summed in f32 lanes, its mean (rounded to f32) is the
// shift of a second, L1-resident pass of centered sums, and the pieces are merged in f64
// with Chan's formula. A run with mean 1e4 and std 1e-2 keeps every digit the input has.
//
// The backward sums (sum(dy), sum(dy * (x - center))) are chunked the same way: f32 lanes
// over at most RUN_CHUNK floats, widened to f64 between chunks.

import { hsum64 } from "./simd";

/** Floats per piece: a piece is read twice, so it must stay in L1. A multiple of 16. */
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

/** Sum of n floats at p, in f32 lanes (n <= RUN_CHUNK keeps the error small), widened. */
function pieceSum(p: usize, n: i32): f64 {
  let i = 0;
  let total: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (; i + 16 <= n; i += 16) {
      const q = p + (<usize>i << 2);
      a0 = f32x4.add(a0, v128.load(q));
      a1 = f32x4.add(a1, v128.load(q, 16));
      a2 = f32x4.add(a2, v128.load(q, 32));
      a3 = f32x4.add(a3, v128.load(q, 48));
    }
    for (; i + 4 <= n; i += 4) a0 = f32x4.add(a0, v128.load(p + (<usize>i << 2)));
    total = hsum64(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  }
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
  for (; i + 4 <= n; i += 4) {
    const q = p + (<usize>i << 2);
    s0 += load<f32>(q); s1 += load<f32>(q, 4); s2 += load<f32>(q, 8); s3 += load<f32>(q, 12);
  }
  for (; i < n; i++) s0 += load<f32>(p + (<usize>i << 2));
  return total + <f64>((s0 + s1) + (s2 + s3));
}

/**
 * Mean and M2 of one piece of n floats into pieceMean / pieceM2: its f32 mean is the shift
 * of a centered pass, whose sums correct it exactly in f64.
 */
function pieceMoments(p: usize, n: i32): void {
  const center = <f32>(pieceSum(p, n) / <f64>n);
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
  let s: f32 = 0, ss: f32 = 0;
  for (; i < n; i++) {
    const d = load<f32>(p + (<usize>i << 2)) - center;
    s += d; ss += d * d;
  }
  sd += <f64>s; sdd += <f64>ss;
  const shift = sd / <f64>n;
  pieceMean = <f64>center + shift;
  pieceM2 = max(sdd - sd * shift, 0);
}

/** Mean and M2 (sum of squared deviations) of L contiguous floats; see momentMean / momentM2. */
export function runMoments(p: usize, L: i32): void {
  if (L <= SHORT_RUN) {
    shortMoments(p, L);
    return;
  }
  if (L <= RUN_CHUNK) {
    pieceMoments(p, L);
    runMean = pieceMean;
    runM2 = pieceM2;
    return;
  }
  // Near-equal pieces, rounded to whole SIMD blocks.
  const pieces = (L + RUN_CHUNK - 1) / RUN_CHUNK;
  const len = (((L + pieces - 1) / pieces) + 15) & ~15;
  let count: f64 = 0, mean: f64 = 0, m2: f64 = 0;
  for (let off = 0; off < L; off += len) {
    const n = min(len, L - off);
    pieceMoments(p + (<usize>off << 2), n);
    const nn = <f64>n;
    const total = count + nn;
    const delta = pieceMean - mean;
    mean += delta * (nn / total);
    m2 += pieceM2 + delta * delta * (count * nn / total);
    count = total;
  }
  runMean = mean;
  runM2 = m2;
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
  sumA += a + <f64>s;
  sumB += b + <f64>t;
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
  sumA += a + <f64>s;
  sumB += b + <f64>t;
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
