// Per-channel batch statistics: mean and biased variance, in f64.
//
// Stability: the tensor is cut into chunks of at most CHUNK elements of one channel. Each
// chunk is summed in f32 lanes (short sums, small error), its own mean is used as the
// shift for a second, L1-resident pass of centered sums, and the chunks are merged in f64
// with Chan's parallel formula. A channel with mean 1e4 and std 1e-2 keeps every digit the
// f32 input has, and the memory is read from DRAM once.

import { CHUNK, isInterleaved, planeBase, planeStride } from "./layout";
import { hsum64 } from "./simd";

// Running (count, mean, M2) of the channel being reduced, and the centered sums of the
// last chunk: AssemblyScript has no tuples, so these travel in globals.
let runCount: f64 = 0;
let runMean: f64 = 0;
let runM2: f64 = 0;
let chunkSum: f64 = 0;
let chunkSumSq: f64 = 0;

/** Sum of `blocks` runs of `len` floats, `stride` bytes apart. */
function sumRuns(p: usize, blocks: i32, len: i32, stride: usize): f64 {
  let total: f64 = 0;
  for (let b = 0; b < blocks; b++, p += stride) {
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      for (; i + 16 <= len; i += 16) {
        const q = p + (<usize>i << 2);
        a0 = f32x4.add(a0, v128.load(q));
        a1 = f32x4.add(a1, v128.load(q, 16));
        a2 = f32x4.add(a2, v128.load(q, 32));
        a3 = f32x4.add(a3, v128.load(q, 48));
      }
      for (; i + 4 <= len; i += 4) a0 = f32x4.add(a0, v128.load(p + (<usize>i << 2)));
      total += hsum64(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
    }
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (; i + 4 <= len; i += 4) {
      const q = p + (<usize>i << 2);
      s0 += load<f32>(q); s1 += load<f32>(q, 4); s2 += load<f32>(q, 8); s3 += load<f32>(q, 12);
    }
    for (; i < len; i++) s0 += load<f32>(p + (<usize>i << 2));
    total += <f64>((s0 + s1) + (s2 + s3));
  }
  return total;
}

/** Sums of d and d*d with d = x - center over the runs; results in chunkSum / chunkSumSq. */
function centeredSums(p: usize, blocks: i32, len: i32, stride: usize, center: f32): void {
  let sd: f64 = 0, sdd: f64 = 0;
  for (let b = 0; b < blocks; b++, p += stride) {
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const m = f32x4.splat(center);
      let d0 = f32x4.splat(0), d1 = f32x4.splat(0), q0 = f32x4.splat(0), q1 = f32x4.splat(0);
      for (; i + 8 <= len; i += 8) {
        const q = p + (<usize>i << 2);
        const u = f32x4.sub(v128.load(q), m);
        const v = f32x4.sub(v128.load(q, 16), m);
        d0 = f32x4.add(d0, u); q0 = f32x4.add(q0, f32x4.mul(u, u));
        d1 = f32x4.add(d1, v); q1 = f32x4.add(q1, f32x4.mul(v, v));
      }
      for (; i + 4 <= len; i += 4) {
        const u = f32x4.sub(v128.load(p + (<usize>i << 2)), m);
        d0 = f32x4.add(d0, u); q0 = f32x4.add(q0, f32x4.mul(u, u));
      }
      sd += hsum64(f32x4.add(d0, d1));
      sdd += hsum64(f32x4.add(q0, q1));
    }
    let s: f32 = 0, ss: f32 = 0;
    for (; i < len; i++) {
      const d = load<f32>(p + (<usize>i << 2)) - center;
      s += d; ss += d * d;
    }
    sd += <f64>s; sdd += <f64>ss;
  }
  chunkSum = sd;
  chunkSumSq = sdd;
}

/** Folds one chunk (count n, mean m, sum of squared deviations q) into the running triple. */
// @ts-ignore: decorator
@inline function mergeInto(n: f64, m: f64, q: f64): void {
  const total = runCount + n;
  const delta = m - runMean;
  runMean += delta * (n / total);
  runM2 += q + delta * delta * (runCount * n / total);
  runCount = total;
}

/** Reduces one chunk of runs of one channel and merges it. */
function reduceChunk(p: usize, blocks: i32, len: i32, stride: usize): void {
  const n = <f64>blocks * <f64>len;
  const center = <f32>(sumRuns(p, blocks, len, stride) / n);
  centeredSums(p, blocks, len, stride, center);
  const shift = chunkSum / n;
  mergeInto(n, <f64>center + shift, max(chunkSumSq - chunkSum * shift, 0));
}

/**
 * Mean and biased variance of channel c of a planar tensor, into mean64[c] / var64[c].
 * Exported to the fused kernels, which reuse the channel from cache right after.
 */
export function planeStats(x: usize, N: i32, C: i32, S: i32, c: i32, mean64: usize, var64: usize): void {
  runCount = 0; runMean = 0; runM2 = 0;
  const base = planeBase(x, C, S, c);
  const stride = planeStride(C, S);
  if (S >= CHUNK >> 1) {
    // Long runs: cut each sample's run into near-equal pieces.
    const pieces = (S + CHUNK - 1) / CHUNK;
    const pieceLen = (S + pieces - 1) / pieces;
    for (let n = 0; n < N; n++) {
      const run = base + <usize>n * stride;
      for (let off = 0; off < S; off += pieceLen) {
        reduceChunk(run + (<usize>off << 2), 1, min(pieceLen, S - off), 0);
      }
    }
  } else {
    // Short runs: gather several samples' runs into one chunk.
    const group = CHUNK / S;
    for (let n = 0; n < N; n += group) {
      reduceChunk(base + <usize>n * stride, min(group, N - n), S, stride);
    }
  }
  store<f64>(mean64 + (<usize>c << 3), runMean);
  store<f64>(var64 + (<usize>c << 3), runM2 / runCount);
}

/**
 * Mean and biased variance of every column of R rows of C floats.
 * scratch: 3 * C f32 (chunk sums, chunk centers, chunk squared sums) and C f64 (M2).
 */
export function rowStats(x: usize, R: i32, C: i32, mean64: usize, var64: usize, scratch: usize): void {
  const rowBytes = <usize>C << 2;
  const sums = scratch;
  const centers = sums + rowBytes;
  const squares = centers + rowBytes;
  const m2 = squares + rowBytes;
  const rowsPerChunk = max(16, CHUNK / C);
  memory.fill(mean64, 0, <usize>C << 3);
  memory.fill(m2, 0, <usize>C << 3);
  for (let r0 = 0; r0 < R; r0 += rowsPerChunk) {
    const rows = min(rowsPerChunk, R - r0);
    const chunk = x + <usize>r0 * rowBytes;
    const n = <f64>rows;
    // Pass 1: column sums of the chunk, then its column means as shifts.
    sumColumns(chunk, rows, C, sums);
    scaleInto(sums, centers, C, <f32>(1.0 / n));
    // Pass 2: centered sums (into sums) and centered squares (into squares).
    centeredColumns(chunk, rows, C, centers, sums, squares);
    const done = <f64>r0;
    const total = done + n;
    for (let c = 0; c < C; c++) {
      const o4 = <usize>c << 2, o8 = <usize>c << 3;
      const sd = <f64>load<f32>(sums + o4);
      const shift = sd / n;
      const m = <f64>load<f32>(centers + o4) + shift;
      const q = max(<f64>load<f32>(squares + o4) - sd * shift, 0);
      const mean = load<f64>(mean64 + o8);
      const delta = m - mean;
      store<f64>(mean64 + o8, mean + delta * (n / total));
      store<f64>(m2 + o8, load<f64>(m2 + o8) + q + delta * delta * (done * n / total));
    }
  }
  const inv = 1.0 / <f64>R;
  for (let c = 0; c < C; c++) {
    const o8 = <usize>c << 3;
    store<f64>(var64 + o8, load<f64>(m2 + o8) * inv);
  }
}

/** out[c] = sum over the rows of x[r][c], in f32 (chunks are short). */
function sumColumns(x: usize, rows: i32, C: i32, out: usize): void {
  const rowBytes = <usize>C << 2;
  memory.fill(out, 0, rowBytes);
  for (let r = 0; r < rows; r++, x += rowBytes) {
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(x + o)));
      }
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      store<f32>(out + o, load<f32>(out + o) + load<f32>(x + o));
    }
  }
}

function scaleInto(src: usize, dst: usize, C: i32, k: f32): void {
  for (let c = 0; c < C; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)) * k);
}

/** sums[c] = sum(x - centers[c]), squares[c] = sum((x - centers[c])^2) over the rows. */
function centeredColumns(x: usize, rows: i32, C: i32, centers: usize, sums: usize, squares: usize): void {
  const rowBytes = <usize>C << 2;
  memory.fill(sums, 0, rowBytes);
  memory.fill(squares, 0, rowBytes);
  for (let r = 0; r < rows; r++, x += rowBytes) {
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        const d = f32x4.sub(v128.load(x + o), v128.load(centers + o));
        v128.store(sums + o, f32x4.add(v128.load(sums + o), d));
        v128.store(squares + o, f32x4.add(v128.load(squares + o), f32x4.mul(d, d)));
      }
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const d = load<f32>(x + o) - load<f32>(centers + o);
      store<f32>(sums + o, load<f32>(sums + o) + d);
      store<f32>(squares + o, load<f32>(squares + o) + d * d);
    }
  }
}

/**
 * Per-channel mean and biased variance (f64) of an (N, C, S) tensor in either layout.
 * scratch: see rowStats (unused for planar tensors).
 */
export function channelStats(
  x: usize, N: i32, C: i32, S: i32, channelsLast: i32,
  mean64: usize, var64: usize, scratch: usize,
): void {
  if (isInterleaved(S, channelsLast)) {
    rowStats(x, N * S, C, mean64, var64, scratch);
  } else {
    for (let c = 0; c < C; c++) planeStats(x, N, C, S, c, mean64, var64);
  }
}
