// Per-channel batch statistics: mean and biased variance, in f64.
//
// Stability: each channel is cut into chunks (CHUNK floats of a planar channel, ROW_CHUNK
// rows of a block of an interleaved tensor, layout.ts blockRows; blocks are merged alike). A chunk is summed in f32 lanes as d = x - center, with
// center the channel's running mean so far, and merged into the running (count, mean, M2)
// in f64 with Chan's formula. The first chunk (FIRST_ROWS rows of an interleaved block)
// has no running mean yet, so it is read twice: its own mean first, while it is in L1.
// A center that is off by g adds about n * g^2 to a chunk's f32 sum of squares, but the
// merge adds a term of the same size from the same g, so the error stays relative to the
// channel's variance. Shifting by a mean that is already close keeps
// x - center exact and the squares small: a channel with mean 1e4 and std 1e-2 keeps every
// digit its f32 input has, and x is read from memory once.
//
// f32 partial sums overflow for |x - center| above ~1e19; a chunk whose sums came out
// non-finite is summed again in f64, so data near the float32 limits still give finite,
// right statistics, and only truly non-finite data give NaN or Infinity.

import {
  CHUNK, EXACT_COUNT, FIRST_ROWS, ROW_CHUNK, ROW_GROUP, blockRows, groupedReduction, chunkBlocks, inMemoryOrder, elementIndex, chunkLen, chunkOffset, isInterleaved,
  planeBase, planeChunk, planeChunks, planeStride, rowBlocks, slotBytes, slotResults,
} from "./layout";
import { endUnit, firstUnit } from "./units";
import { hsum64 } from "./simd";

// Running (count, mean, M2) of the planar channel being reduced, and the shifted sums of
// its last chunk: AssemblyScript has no tuples, so these travel in globals.
let runCount: f64 = 0;
let runMean: f64 = 0;
let runM2: f64 = 0;
export let chunkSum: f64 = 0;
export let chunkSumSq: f64 = 0;

/** Lets a fused kernel (pipeline.ts) hand its chunk's sums to the code here. */
// @ts-ignore: decorator
@inline export function setChunkSums(sum: f64, sumSq: f64): void {
  chunkSum = sum;
  chunkSumSq = sumSq;
}

/** Sums of d and d * d, d = x - center, over `blocks` runs of `len` floats, `stride` bytes apart. */
export function shiftedSums(p: usize, blocks: i32, len: i32, stride: usize, center: f32): void {
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
      if (i + 4 <= len) {
        const u = f32x4.sub(v128.load(p + (<usize>i << 2)), m);
        d0 = f32x4.add(d0, u); q0 = f32x4.add(q0, f32x4.mul(u, u));
        i += 4;
      }
      sd += hsum64(f32x4.add(d0, d1));
      sdd += hsum64(f32x4.add(q0, q1));
    }
    let s0: f32 = 0, s1: f32 = 0, t0: f32 = 0, t1: f32 = 0;
    for (; i + 2 <= len; i += 2) {
      const q = p + (<usize>i << 2);
      const u = load<f32>(q) - center, v = load<f32>(q, 4) - center;
      s0 += u; t0 += u * u;
      s1 += v; t1 += v * v;
    }
    if (i < len) {
      const u = load<f32>(p + (<usize>i << 2)) - center;
      s0 += u; t0 += u * u;
    }
    sd += <f64>(s0 + s1); sdd += <f64>(t0 + t1);
  }
  chunkSum = sd;
  chunkSumSq = sdd;
}

/** shiftedSums in f64 throughout: the slow path for chunks whose f32 sums overflowed. */
export function shiftedSums64(p: usize, blocks: i32, len: i32, stride: usize, center: f64): void {
  let sd: f64 = 0, sdd: f64 = 0;
  for (let b = 0; b < blocks; b++, p += stride) {
    for (let i = 0; i < len; i++) {
      const d = <f64>load<f32>(p + (<usize>i << 2)) - center;
      sd += d; sdd += d * d;
    }
  }
  chunkSum = sd;
  chunkSumSq = sdd;
}

/** Redoes the last chunk's sums in f64 if the f32 lanes overflowed. */
export function checkChunkSums(p: usize, blocks: i32, len: i32, stride: usize, center: f32): void {
  if (!isFinite(chunkSumSq) || !isFinite(chunkSum)) shiftedSums64(p, blocks, len, stride, <f64>center);
}

/** Folds the chunk just summed (n values around center) into the running triple. */
export function mergeChunk(n: f64, center: f32): void {
  const shift = chunkSum / n;
  const m = <f64>center + shift;
  const q = max(chunkSumSq - chunkSum * shift, 0);
  const total = runCount + n;
  const delta = m - runMean;
  runMean += delta * (n / total);
  runM2 += q + delta * delta * (runCount * n / total);
  runCount = total;
}

/** The center for the next chunk of the channel being reduced. */
// @ts-ignore: decorator
@inline export function runningCenter(): f32 {
  return <f32>runMean;
}

/** Starts a channel at `base`: chunk 0, read once for its own mean and again around it. */
export function beginPlaneStats(base: usize, N: i32, S: i32, stride: usize): void {
  runCount = 0; runMean = 0; runM2 = 0;
  planeChunk(0, N, S, stride);
  const p = base + chunkOffset, blocks = chunkBlocks, len = chunkLen;
  const n = <f64>blocks * <f64>len;
  shiftedSums(p, blocks, len, stride, 0);
  checkChunkSums(p, blocks, len, stride, 0);
  const center = <f32>(chunkSum / n);
  shiftedSums(p, blocks, len, stride, center);
  checkChunkSums(p, blocks, len, stride, center);
  mergeChunk(n, center);
}

/** Stores the channel's mean and biased variance into mean64[c] / var64[c]. */
export function endPlaneStats(c: i32, mean64: usize, var64: usize): void {
  store<f64>(mean64 + (<usize>c << 3), runMean);
  store<f64>(var64 + (<usize>c << 3), runM2 / runCount);
}

/** Mean and biased variance of channel c of a planar tensor, into mean64[c] / var64[c]. */
export function planeStats(x: usize, N: i32, C: i32, S: i32, c: i32, mean64: usize, var64: usize): void {
  const base = planeBase(x, C, S, c);
  const stride = planeStride(C, S);
  beginPlaneStats(base, N, S, stride);
  const chunks = planeChunks(N, S);
  for (let k = 1; k < chunks; k++) {
    planeChunk(k, N, S, stride);
    const p = base + chunkOffset, center = runningCenter();
    shiftedSums(p, chunkBlocks, chunkLen, stride, center);
    checkChunkSums(p, chunkBlocks, chunkLen, stride, center);
    mergeChunk(<f64>chunkBlocks * <f64>chunkLen, center);
  }
  endPlaneStats(c, mean64, var64);
}

/**
 * planeStats of every channel in one walk in memory order, run after run (inMemoryOrder:
 * a chunk is a piece of one run): the same chunks, centers and merges in the same
 * order per channel, with each channel's running mean and M2 kept in mean64 / var64 between
 * its chunks (the count is the same for every channel at a given run). Walking channel by
 * channel reads runs a plane apart, which costs the hardware prefetchers their stream at
 * every run (see applyChannels in apply.ts).
 */
export function planeStatsInOrder(x: usize, N: i32, C: i32, S: i32, mean64: usize, var64: usize): void {
  const pieces = (S + CHUNK - 1) / CHUNK;
  const pieceLen = (S + pieces - 1) / pieces;
  const run = <usize>S << 2;
  // This thread's channels (units.ts; all of them on one thread).
  const c0 = firstUnit(), c1 = endUnit(C);
  for (let n = 0; n < N; n++) {
    for (let c = c0, p = x + (<usize>n * <usize>C + <usize>c0) * run; c < c1; c++, p += run) {
      const o8 = <usize>c << 3;
      if (n == 0) {
        beginPlaneStats(p, 1, S, 0);
      } else {
        runCount = <f64>n * <f64>S; runMean = load<f64>(mean64 + o8); runM2 = load<f64>(var64 + o8);
      }
      for (let k = n == 0 ? 1 : 0; k < pieces; k++) {
        const start = k * pieceLen, len = min(pieceLen, S - start);
        const q = p + (<usize>start << 2), center = runningCenter();
        shiftedSums(q, 1, len, 0, center);
        checkChunkSums(q, 1, len, 0, center);
        mergeChunk(<f64>len, center);
      }
      store<f64>(mean64 + o8, runMean);
      store<f64>(var64 + o8, runM2);
    }
  }
  const invCount = 1.0 / (<f64>N * <f64>S);
  for (let c = c0; c < c1; c++) store<f64>(var64 + (<usize>c << 3), load<f64>(var64 + (<usize>c << 3)) * invCount);
}

/**
 * Mean and biased variance of the C columns of R rows into mean64 / var64: block by block
 * (layout.ts blockRows), each block reduced in `slot` (layout.ts oneSlot) and merged
 * into the totals in block order, as the threaded backend's rowStatsBlocks and
 * rowStatsMerge do over many slots.
 */
export function interleavedStats(x: usize, R: i32, C: i32, mean64: usize, var64: usize, slot: usize): void {
  beginMerge(0, C, mean64, var64);
  statsBlocks(x, R, C, 0, rowBlocks(R, C), slot, 0, mean64, var64);
  endMerge(R, 0, C, var64);
}

/** The threaded backend's first phase of interleavedStats: blocks [from, to) (units.ts) reduced into their slots at `partials`. */
export function rowStatsBlocks(x: usize, R: i32, C: i32, partials: usize): void {
  statsBlocks(x, R, C, firstUnit(), endUnit(rowBlocks(R, C)), partials, slotBytes(C), 0, 0);
}

/**
 * Blocks [b0, b1) reduced into slots `step` bytes apart from `slots`; with totals (m2 not 0:
 * one thread, one slot, step 0) each block is merged into mean64 / m2 right after.
 */
function statsBlocks(x: usize, R: i32, C: i32, b0: i32, b1: i32, slots: usize, step: usize, mean64: usize, m2: usize): void {
  const rows = blockRows(C), rowBytes = <usize>C << 2, grouped = groupedReduction(R, C, 1);
  for (let b = b0; b < b1; b++) {
    const r0 = b * rows, n = min(rows, R - r0), slot = slots + <usize>b * step;
    blockStats(x + <usize>r0 * rowBytes, n, C, slot, grouped);
    if (m2) mergeBlock(slot, C, <f64>r0, <f64>n, 0, C, mean64, m2);
  }
}

/** The second phase: the slots merged in block order, as interleavedStats merges them, over channels [from, to). */
export function rowStatsMerge(partials: usize, R: i32, C: i32, mean64: usize, var64: usize): void {
  const c0 = firstUnit(), c1 = endUnit(C), rows = blockRows(C), slot = slotBytes(C);
  if (c0 >= c1) return;
  beginMerge(c0, c1, mean64, var64);
  for (let b = 0, r0 = 0; r0 < R; b++, r0 += rows) mergeBlock(partials + <usize>b * slot, C, <f64>r0, <f64>min(rows, R - r0), c0, c1, mean64, var64);
  endMerge(R, c0, c1, var64);
}

// @ts-ignore: decorator
@inline function beginMerge(c0: i32, c1: i32, mean64: usize, m2: usize): void {
  memory.fill(mean64 + (<usize>c0 << 3), 0, <usize>(c1 - c0) << 3);
  memory.fill(m2 + (<usize>c0 << 3), 0, <usize>(c1 - c0) << 3);
}

/** M2 into the biased variance. */
// @ts-ignore: decorator
@inline function endMerge(R: i32, c0: i32, c1: i32, var64: usize): void {
  const invR = 1.0 / <f64>R;
  for (let c = c0; c < c1; c++) {
    const o8 = <usize>c << 3;
    store<f64>(var64 + o8, load<f64>(var64 + o8) * invR);
  }
}

/**
 * Folds a block's (mean, M2) of n rows, in the f64 arrays of its slot, into the totals of
 * the `done` rows before it (mean64, m2) over columns [c0, c1): Chan's formula.
 */
function mergeBlock(slot: usize, C: i32, done: f64, n: f64, c0: i32, c1: i32, mean64: usize, m2: usize): void {
  const means = slot + slotResults(C), squares = means + (<usize>C << 3);
  const total = done + n, wNew = n / total, wCross = done * n / total;
  for (let c = c0; c < c1; c++) {
    const o8 = <usize>c << 3;
    const mean = load<f64>(mean64 + o8);
    const delta = load<f64>(means + o8) - mean;
    store<f64>(mean64 + o8, mean + delta * wNew);
    store<f64>(m2 + o8, load<f64>(m2 + o8) + load<f64>(squares + o8) + delta * delta * wCross);
  }
}

/** Mean and M2 of the C columns of one block of `rows` rows into the f64 arrays of its slot (layout.ts slotResults). */
function blockStats(x: usize, rows: i32, C: i32, slot: usize, grouped: bool): void {
  const means = slot + slotResults(C);
  columnMoments(x, rows, C, 0, C, slot, means, means + (<usize>C << 3), grouped);
}

/**
 * Mean and biased variance of columns [c0, c1) of R rows of C floats, as one block
 * (group norm's channels-last samples): M2 summed in var64, then scaled by endMerge.
 * scratch: 3 * C f32. grouped: the walk (layout.ts groupedReduction) for the whole tensor
 * these rows are part of, which decides whether they come from cache.
 */
export function rowStats(x: usize, R: i32, C: i32, c0: i32, c1: i32, mean64: usize, var64: usize, scratch: usize, grouped: bool): void {
  columnMoments(x, R, C, c0, c1, scratch, mean64, var64, grouped);
  endMerge(R, c0, c1, var64);
}

/**
 * Mean and M2 of columns [c0, c1) of `rows` rows into mean64 / m2; work: 3 * C f32
 * (centers, chunk sums, chunk squared sums).
 */
function columnMoments(x: usize, rows: i32, C: i32, c0: i32, c1: i32, work: usize, mean64: usize, m2: usize, grouped: bool): void {
  const rowBytes = <usize>C << 2;
  const centers = work;
  const sums = centers + rowBytes;
  const squares = sums + rowBytes;
  const b8 = <usize>c0 << 3, b4 = <usize>c0 << 2, n = <usize>(c1 - c0);
  memory.fill(mean64 + b8, 0, n << 3);
  memory.fill(m2 + b8, 0, n << 3);
  // The first rows, summed around 0, give the first centers; then every chunk from row 0
  // on is summed around the running mean.
  const first = min(FIRST_ROWS, rows);
  memory.fill(centers + b4, 0, n << 2);
  shiftedColumnSums(x, first, C, c0, c1, centers, sums, squares, grouped);
  for (let c = c0; c < c1; c++) {
    const o = <usize>c << 2;
    let s = <f64>load<f32>(sums + o);
    if (!isFinite(s)) {
      shiftedSums64(x + o, first, 1, rowBytes, 0);
      s = chunkSum;
    }
    store<f32>(centers + o, <f32>(s / <f64>first));
  }
  for (let r0 = 0; r0 < rows;) {
    const k = min(r0 == 0 ? first : ROW_CHUNK, rows - r0);
    const chunk = x + <usize>r0 * rowBytes;
    shiftedColumnSums(chunk, k, C, c0, c1, centers, sums, squares, grouped);
    mergeColumns(chunk, k, C, c0, c1, <f64>r0, centers, sums, squares, mean64, m2);
    r0 += k;
  }
}

/**
 * sums[c] = sum(x - centers[c]), squares[c] = sum((x - centers[c])^2) over the rows, in f32,
 * each column summed over the rows in order: ROW_GROUP rows at a time when `grouped` (each
 * vector of sums loaded and stored once per group of rows), else row by row
 * (layout.ts groupedReduction).
 */
function shiftedColumnSums(x: usize, rows: i32, C: i32, c0: i32, c1: i32, centers: usize, sums: usize, squares: usize, grouped: bool): void {
  const cb = <usize>C << 2, b4 = <usize>c0 << 2, nb = <usize>(c1 - c0) << 2;
  memory.fill(sums + b4, 0, nb);
  memory.fill(squares + b4, 0, nb);
  let r = 0;
  if (ASC_FEATURE_SIMD) {
    const c4 = c0 + ((c1 - c0) & ~3);
    if (!grouped) {
      // Pointers that move together, 16 channels per step at constant offsets from them.
      const c16 = c0 + ((c1 - c0) & ~15), ds = sums - centers, dq = squares - centers;
      for (let row = x; r < rows; r++, row += cb) {
        let pc = centers + b4, px = row + b4;
        for (let end = centers + (<usize>c16 << 2); pc < end; pc += 64, px += 64) {
          sumVector(px, pc, ds, dq, 0); sumVector(px, pc, ds, dq, 16); sumVector(px, pc, ds, dq, 32); sumVector(px, pc, ds, dq, 48);
        }
        for (let end = centers + (<usize>c4 << 2); pc < end; pc += 16, px += 16) sumVector(px, pc, ds, dq, 0);
      }
      if (c4 < c1) columnSumsScalar(x, rows, C, c4, c1, centers, sums, squares);
      return;
    }
    for (; r + ROW_GROUP <= rows; r += ROW_GROUP, x += <usize>ROW_GROUP * cb) {
      for (let c = c0; c < c4; c += 4) {
        const o = <usize>c << 2;
        const m = v128.load(centers + o);
        const p0 = x + o, p1 = p0 + cb, p2 = p1 + cb, p3 = p2 + cb;
        const u0 = f32x4.sub(v128.load(p0), m), u1 = f32x4.sub(v128.load(p1), m);
        const u2 = f32x4.sub(v128.load(p2), m), u3 = f32x4.sub(v128.load(p3), m);
        v128.store(sums + o, f32x4.add(f32x4.add(f32x4.add(f32x4.add(v128.load(sums + o), u0), u1), u2), u3));
        const q = f32x4.add(f32x4.add(v128.load(squares + o), f32x4.mul(u0, u0)), f32x4.mul(u1, u1));
        v128.store(squares + o, f32x4.add(f32x4.add(q, f32x4.mul(u2, u2)), f32x4.mul(u3, u3)));
      }
      if (c4 < c1) columnSumsScalar(x, ROW_GROUP, C, c4, c1, centers, sums, squares);
    }
  }
  if (r < rows) columnSumsScalar(x, rows - r, C, c0, c1, centers, sums, squares);
}

/** One vector of the row-by-row walk: the floats at px + o, their centers at pc + o, sums at pc + ds + o, squared sums at pc + dq + o. */
// @ts-ignore: decorator
@inline function sumVector(px: usize, pc: usize, ds: usize, dq: usize, o: usize): void {
  const u = f32x4.sub(v128.load(px + o), v128.load(pc + o));
  const ps = pc + ds + o, pq = pc + dq + o;
  v128.store(ps, f32x4.add(v128.load(ps), u));
  v128.store(pq, f32x4.add(v128.load(pq), f32x4.mul(u, u)));
}

/** shiftedColumnSums over columns [c0, c1), one float at a time (sums / squares already hold the earlier rows). */
function columnSumsScalar(x: usize, rows: i32, C: i32, c0: i32, c1: i32, centers: usize, sums: usize, squares: usize): void {
  const cb = <usize>C << 2;
  for (let r = 0; r < rows; r++, x += cb) {
    for (let c = c0; c < c1; c++) {
      const o = <usize>c << 2;
      const u = load<f32>(x + o) - load<f32>(centers + o);
      store<f32>(sums + o, load<f32>(sums + o) + u);
      store<f32>(squares + o, load<f32>(squares + o) + u * u);
    }
  }
}

/**
 * Folds a chunk of `rows` rows (after `done` rows) into mean64 / m2 with Chan's formula,
 * and moves each center to the new running mean. Columns whose f32 sums overflowed are
 * summed again in f64 (see the note at the top).
 */
function mergeColumns(
  x: usize, rows: i32, C: i32, c0: i32, c1: i32, done: f64, centers: usize, sums: usize, squares: usize, mean64: usize, m2: usize,
): void {
  const rowBytes = <usize>C << 2;
  const n = <f64>rows, total = done + n;
  const wNew = n / total, wCross = done * n / total;
  for (let c = c0; c < c1; c++) {
    const o4 = <usize>c << 2, o8 = <usize>c << 3;
    const center = load<f32>(centers + o4);
    let sd = <f64>load<f32>(sums + o4), sdd = <f64>load<f32>(squares + o4);
    if (!isFinite(sd) || !isFinite(sdd)) {
      shiftedSums64(x + o4, rows, 1, rowBytes, <f64>center);
      sd = chunkSum; sdd = chunkSumSq;
    }
    const shift = sd / n;
    const delta = <f64>center + shift - load<f64>(mean64 + o8);
    const mean = load<f64>(mean64 + o8) + delta * wNew;
    store<f64>(mean64 + o8, mean);
    store<f64>(m2 + o8, load<f64>(m2 + o8) + max(sdd - sd * shift, 0) + delta * delta * wCross);
    store<f32>(centers + o4, <f32>mean);
  }
}

/**
 * Mean and biased variance of every channel straight from the definition, two passes in
 * f64: for channels of at most EXACT_COUNT values (see layout.ts).
 */
export function exactStats(x: usize, N: i32, C: i32, S: i32, channelsLast: i32, mean64: usize, var64: usize): void {
  const count = <f64>N * <f64>S;
  for (let c = 0; c < C; c++) {
    let sum: f64 = 0;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) sum += <f64>load<f32>(x + (<usize>elementIndex(n, c, s, C, S, channelsLast) << 2));
    }
    const mean = sum / count;
    let sq: f64 = 0;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const d = <f64>load<f32>(x + (<usize>elementIndex(n, c, s, C, S, channelsLast) << 2)) - mean;
        sq += d * d;
      }
    }
    store<f64>(mean64 + (<usize>c << 3), mean);
    store<f64>(var64 + (<usize>c << 3), sq / count);
  }
}

/**
 * Per-channel mean and biased variance (f64) of an (N, C, S) tensor in either layout.
 * slot: where interleaved blocks are reduced (layout.ts oneSlot; unused for planar tensors).
 */
export function momentsOfChannels(
  x: usize, N: i32, C: i32, S: i32, channelsLast: i32,
  mean64: usize, var64: usize, slot: usize,
): void {
  if (N * S <= EXACT_COUNT) {
    exactStats(x, N, C, S, channelsLast, mean64, var64);
  } else if (isInterleaved(S, channelsLast)) {
    interleavedStats(x, N * S, C, mean64, var64, slot);
  } else if (inMemoryOrder(S)) {
    planeStatsInOrder(x, N, C, S, mean64, var64);
  } else {
    for (let c = firstUnit(), end = endUnit(C); c < end; c++) planeStats(x, N, C, S, c, mean64, var64);
  }
}
