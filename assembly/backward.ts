// The backward pass: the per-channel reductions sum(dy) and sum(dy * (x - mean)) (one pass
// over dy and x), and the element-wise dx = a * (dy + h * (x - shift) + k).
// Partial sums run in f32 lanes over one chunk (see layout.ts) and are widened to f64; a
// chunk whose f32 sums overflowed is summed again in f64.
//
// In a kernel's Relu instance (mask.ts), dy is first masked by the ReLU of the forward (the
// fused batchNormRelu): kept where (x - shift) * fscale + foffset > 0, with the forward's own
// f32 coefficients, so the mask is bit for bit the forward's y > 0 and y is never read.
// The slow paths (f64 redo, tiny channels) take the same choice as a runtime flag.

import {
  CHUNK, ROW_CHUNK, ROW_GROUP, blockRows, groupedReduction, rowBlocks, slotBytes, slotResults, chunkBlocks, inMemoryOrder, elementIndex, chunkLen, chunkOffset, isInterleaved, planeBase, planeChunk, planeChunks, planeStride,
} from "./layout";
import { endUnit, firstUnit } from "./units";
import { rowGroupOf } from "./apply";
import { hsum64 } from "./simd";
import { masked } from "./mask";

// sum(dy) and sum(dy * (x - center)) of the last chunk reduced.
let partDy: f64 = 0;
let partDyX: f64 = 0;

/** Lets a fused kernel (pipeline.ts) hand its chunk's sums to the code here. */
// @ts-ignore: decorator
@inline export function setPartSums(dySum: f64, dyXSum: f64): void {
  partDy = dySum;
  partDyX = dyXSum;
}

/** ReLU mask lanes: all ones where (d * fscale + foffset) > 0. */
// @ts-ignore: decorator
@inline function reluMask(d: v128, fscale: v128, foffset: v128): v128 {
  return f32x4.gt(f32x4.add(f32x4.mul(d, fscale), foffset), f32x4.splat(0));
}

/** dy where (d * fscale + foffset) > 0, else 0. */
// @ts-ignore: decorator
@inline export function maskedGrad(g: f32, d: f32, fscale: f32, foffset: f32): f32 {
  return d * fscale + foffset > 0 ? g : 0;
}

/**
 * sum(dy) and sum(dy * (x - center)) over `blocks` runs of `len` floats, `stride` bytes
 * apart; dy masked by the ReLU in the Relu instance (the forward's shift is center).
 */
function reduceRuns<M>(
  dy: usize, x: usize, blocks: i32, len: i32, stride: usize, center: f32, fscale: f32, foffset: f32,
): void {
  let sdy: f64 = 0, sdx: f64 = 0;
  for (let blk = 0; blk < blocks; blk++, dy += stride, x += stride) {
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const m = f32x4.splat(center), fs = f32x4.splat(fscale), fo = f32x4.splat(foffset);
      let g0 = f32x4.splat(0), g1 = f32x4.splat(0), h0 = f32x4.splat(0), h1 = f32x4.splat(0);
      for (; i + 8 <= len; i += 8) {
        const q = <usize>i << 2;
        const d = f32x4.sub(v128.load(x + q), m), e = f32x4.sub(v128.load(x + q, 16), m);
        let u = v128.load(dy + q), v = v128.load(dy + q, 16);
        if (masked<M>()) {
          u = v128.and(u, reluMask(d, fs, fo));
          v = v128.and(v, reluMask(e, fs, fo));
        }
        g0 = f32x4.add(g0, u);
        g1 = f32x4.add(g1, v);
        h0 = f32x4.add(h0, f32x4.mul(u, d));
        h1 = f32x4.add(h1, f32x4.mul(v, e));
      }
      if (i + 4 <= len) {
        const q = <usize>i << 2;
        const d = f32x4.sub(v128.load(x + q), m);
        let u = v128.load(dy + q);
        if (masked<M>()) u = v128.and(u, reluMask(d, fs, fo));
        g0 = f32x4.add(g0, u);
        h0 = f32x4.add(h0, f32x4.mul(u, d));
        i += 4;
      }
      sdy += hsum64(f32x4.add(g0, g1));
      sdx += hsum64(f32x4.add(h0, h1));
    }
    let s: f32 = 0, t: f32 = 0;
    for (; i < len; i++) {
      const q = <usize>i << 2;
      const d = load<f32>(x + q) - center;
      const g = masked<M>() ? maskedGrad(load<f32>(dy + q), d, fscale, foffset) : load<f32>(dy + q);
      s += g;
      t += g * d;
    }
    sdy += <f64>s;
    sdx += <f64>t;
  }
  partDy = sdy;
  partDyX = sdx;
}

/** reduceRuns in f64 throughout (the mask still from the f32 forward formula). */
function reduceRuns64(
  dy: usize, x: usize, blocks: i32, len: i32, stride: usize, center: f32, relu: bool, fscale: f32, foffset: f32,
): void {
  let sdy: f64 = 0, sdx: f64 = 0;
  for (let blk = 0; blk < blocks; blk++, dy += stride, x += stride) {
    for (let i = 0; i < len; i++) {
      const q = <usize>i << 2;
      const xv = load<f32>(x + q);
      let g = <f64>load<f32>(dy + q);
      if (relu && !((xv - center) * fscale + foffset > 0)) g = 0;
      sdy += g;
      sdx += g * (<f64>xv - <f64>center);
    }
  }
  partDy = sdy;
  partDyX = sdx;
}

/** Redoes the last chunk's sums in f64 if the f32 lanes overflowed. */
export function checkPartSums(
  dy: usize, x: usize, blocks: i32, len: i32, stride: usize, center: f32, relu: bool, fscale: f32, foffset: f32,
): void {
  if (!isFinite(partDy) || !isFinite(partDyX)) reduceRuns64(dy, x, blocks, len, stride, center, relu, fscale, foffset);
}

/**
 * Accumulates reductions of a planar channel chunk by chunk; ends with storeChannelSums.
 * The chunk's sums are in partDy / partDyX after reduceRuns, checkPartSums or a fused kernel.
 */
let accDy: f64 = 0;
let accDyX: f64 = 0;

// @ts-ignore: decorator
@inline export function resetChannelSums(): void {
  accDy = 0;
  accDyX = 0;
}

// @ts-ignore: decorator
@inline export function addPartSums(): void {
  accDy += partDy;
  accDyX += partDyX;
}

/** Stores channel c's sums; x - mean = (x - center) - (mean - center). */
export function storeChannelSums(c: i32, mean64: usize, center: f32, sumDy64: usize, sumDyXmu64: usize): void {
  const o8 = <usize>c << 3;
  store<f64>(sumDy64 + o8, accDy);
  store<f64>(sumDyXmu64 + o8, accDyX - (load<f64>(mean64 + o8) - <f64>center) * accDy);
}

/**
 * Reductions of channel c of a planar tensor into sumDy64[c], sumDyXmu64[c]; when masked,
 * fcoef holds the forward's coefficients (shift, scale, offset; see coefficients.ts).
 */
export function planeReduce<M>(
  dy: usize, x: usize, N: i32, C: i32, S: i32, c: i32,
  mean64: usize, sumDy64: usize, sumDyXmu64: usize, fcoef: usize,
): void {
  const center = <f32>load<f64>(mean64 + (<usize>c << 3));
  const fscale: f32 = masked<M>() ? forwardScale(fcoef, C, c) : 0, foffset: f32 = masked<M>() ? forwardOffset(fcoef, C, c) : 0;
  const stride = planeStride(C, S);
  const pdy = planeBase(dy, C, S, c), px = planeBase(x, C, S, c);
  const chunks = planeChunks(N, S);
  resetChannelSums();
  for (let k = 0; k < chunks; k++) {
    planeChunk(k, N, S, stride);
    const p = pdy + chunkOffset, q = px + chunkOffset;
    reduceRuns<M>(p, q, chunkBlocks, chunkLen, stride, center, fscale, foffset);
    checkPartSums(p, q, chunkBlocks, chunkLen, stride, center, masked<M>(), fscale, foffset);
    addPartSums();
  }
  storeChannelSums(c, mean64, center, sumDy64, sumDyXmu64);
}

/** The forward's scale of channel c, from forward coefficients at fcoef. */
// @ts-ignore: decorator
@inline export function forwardScale(fcoef: usize, C: i32, c: i32): f32 {
  return load<f32>(fcoef + (<usize>C << 2) + (<usize>c << 2));
}

/** The forward's offset of channel c, from forward coefficients at fcoef. */
// @ts-ignore: decorator
@inline export function forwardOffset(fcoef: usize, C: i32, c: i32): f32 {
  return load<f32>(fcoef + (<usize>C << 3) + (<usize>c << 2));
}

/**
 * Reductions over R rows of C channels, block by block (layout.ts blockRows), each block
 * reduced in `slot` (layout.ts oneSlot) and its f64 sums added into the totals in block
 * order, as the threaded backend's rowReduceBlocks and rowReduceMerge do over many slots.
 * When masked, fcoef holds the forward's coefficients.
 */
export function rowReduce<M>(
  dy: usize, x: usize, R: i32, C: i32, mean64: usize, sumDy64: usize, sumDyXmu64: usize, slot: usize, fcoef: usize,
): void {
  memory.fill(sumDy64, 0, <usize>C << 3);
  memory.fill(sumDyXmu64, 0, <usize>C << 3);
  reduceBlocks<M>(dy, x, R, C, mean64, 0, rowBlocks(R, C), slot, 0, fcoef, sumDy64, sumDyXmu64);
  endRowReduce(0, C, mean64, sumDy64, sumDyXmu64);
}

/** The threaded backend's first phase of rowReduce: blocks [from, to) (units.ts) reduced into their slots at `partials`. */
export function rowReduceBlocks<M>(dy: usize, x: usize, R: i32, C: i32, mean64: usize, partials: usize, fcoef: usize): void {
  reduceBlocks<M>(dy, x, R, C, mean64, firstUnit(), endUnit(rowBlocks(R, C)), partials, slotBytes(C), fcoef, 0, 0);
}

/**
 * Blocks [b0, b1) reduced into slots `step` bytes apart from `slots`; with totals (not 0:
 * one thread, one slot, step 0) each block's sums are added into them right after.
 */
function reduceBlocks<M>(
  dy: usize, x: usize, R: i32, C: i32, mean64: usize, b0: i32, b1: i32, slots: usize, step: usize, fcoef: usize,
  sumDy64: usize, sumDyXmu64: usize,
): void {
  const rows = blockRows(C), rowBytes = <usize>C << 2, grouped = groupedReduction(R, C, 2);
  for (let b = b0; b < b1; b++) {
    const r0 = b * rows, at = <usize>r0 * rowBytes, slot = slots + <usize>b * step;
    blockReduce<M>(dy + at, x + at, min(rows, R - r0), C, mean64, slot, fcoef, grouped);
    if (sumDy64) addBlockSums(slot, C, 0, C, sumDy64, sumDyXmu64);
  }
}

/** The second phase: the slots' sums added in block order, as rowReduce adds them, over channels [from, to). */
export function rowReduceMerge(partials: usize, R: i32, C: i32, mean64: usize, sumDy64: usize, sumDyXmu64: usize): void {
  const c0 = firstUnit(), c1 = endUnit(C), slot = slotBytes(C);
  if (c0 >= c1) return;
  memory.fill(sumDy64 + (<usize>c0 << 3), 0, <usize>(c1 - c0) << 3);
  memory.fill(sumDyXmu64 + (<usize>c0 << 3), 0, <usize>(c1 - c0) << 3);
  for (let b = 0, blocks = rowBlocks(R, C); b < blocks; b++) addBlockSums(partials + <usize>b * slot, C, c0, c1, sumDy64, sumDyXmu64);
  endRowReduce(c0, c1, mean64, sumDy64, sumDyXmu64);
}

/** Adds a block's f64 sums (its slot's results) into the totals of columns [c0, c1). */
function addBlockSums(slot: usize, C: i32, c0: i32, c1: i32, sumDy64: usize, sumDyXmu64: usize): void {
  const g = slot + slotResults(C), h = g + (<usize>C << 3);
  for (let c = c0; c < c1; c++) {
    const o8 = <usize>c << 3;
    store<f64>(sumDy64 + o8, load<f64>(sumDy64 + o8) + load<f64>(g + o8));
    store<f64>(sumDyXmu64 + o8, load<f64>(sumDyXmu64 + o8) + load<f64>(h + o8));
  }
}

/** x - mean = (x - center) - (mean - center), center the f32 mean the blocks were reduced around. */
function endRowReduce(c0: i32, c1: i32, mean64: usize, sumDy64: usize, sumDyXmu64: usize): void {
  for (let c = c0; c < c1; c++) {
    const o8 = <usize>c << 3;
    const mean = load<f64>(mean64 + o8);
    store<f64>(sumDyXmu64 + o8, load<f64>(sumDyXmu64 + o8) - (mean - <f64><f32>mean) * load<f64>(sumDy64 + o8));
  }
}

/**
 * sum(dy) and sum(dy * (x - center)), center = f32(mean), of the C columns of one block of
 * `rows` rows into the f64 arrays of its slot (layout.ts slotResults): ROW_CHUNK rows at a
 * time in f32 (the slot's f32 arrays: centers, chunk sums), widened and added in f64.
 */
function blockReduce<M>(dy: usize, x: usize, rows: i32, C: i32, mean64: usize, slot: usize, fcoef: usize, grouped: bool): void {
  const rowBytes = <usize>C << 2;
  const centers = slot, gs = slot + rowBytes, hs = gs + rowBytes;
  const sumDy64 = slot + slotResults(C), sumDyX64 = sumDy64 + (<usize>C << 3);
  const fscales = fcoef + rowBytes, foffsets = fcoef + 2 * rowBytes;
  for (let c = 0; c < C; c++) store<f32>(centers + (<usize>c << 2), <f32>load<f64>(mean64 + (<usize>c << 3)));
  memory.fill(sumDy64, 0, <usize>C << 3);
  memory.fill(sumDyX64, 0, <usize>C << 3);
  for (let r0 = 0; r0 < rows; r0 += ROW_CHUNK) {
    const n = min(ROW_CHUNK, rows - r0);
    const at = <usize>r0 * rowBytes;
    rowReduceChunk<M>(dy + at, x + at, n, C, 0, C, centers, gs, hs, fscales, foffsets, grouped);
    for (let c = 0; c < C; c++) {
      const q = <usize>c << 2, o8 = <usize>c << 3;
      partDy = <f64>load<f32>(gs + q);
      partDyX = <f64>load<f32>(hs + q);
      const fscale: f32 = masked<M>() ? load<f32>(fscales + q) : 0, foffset: f32 = masked<M>() ? load<f32>(foffsets + q) : 0;
      checkPartSums(dy + at + q, x + at + q, n, 1, rowBytes, load<f32>(centers + q), masked<M>(), fscale, foffset);
      store<f64>(sumDy64 + o8, load<f64>(sumDy64 + o8) + partDy);
      store<f64>(sumDyX64 + o8, load<f64>(sumDyX64 + o8) + partDyX);
    }
  }
}

/**
 * gs[c] = sum(dy), hs[c] = sum(dy * (x - centers[c])) over the rows, in f32, each column
 * summed over the rows in order; ROW_GROUP rows at a time when `grouped`, else row by row,
 * as shiftedColumnSums (stats.ts).
 */
export function rowReduceChunk<M>(
  dy: usize, x: usize, rows: i32, C: i32, c0: i32, c1: i32, centers: usize, gs: usize, hs: usize, fscales: usize, foffsets: usize,
  grouped: bool,
): void {
  const cb = <usize>C << 2, b4 = <usize>c0 << 2, nb = <usize>(c1 - c0) << 2;
  memory.fill(gs + b4, 0, nb);
  memory.fill(hs + b4, 0, nb);
  let r = 0;
  if (ASC_FEATURE_SIMD) {
    const c4 = c0 + ((c1 - c0) & ~3), ddy = dy - x;
    if (!grouped) {
      // Pointers that move together, 16 channels per step at constant offsets from them.
      const c16 = c0 + ((c1 - c0) & ~15), dg = gs - centers, dh = hs - centers;
      const dfs = fscales - centers, dfo = foffsets - centers;
      for (let row = x; r < rows; r++, row += cb) {
        let pc = centers + b4, px = row + b4;
        for (let end = centers + (<usize>c16 << 2); pc < end; pc += 64, px += 64) {
          reduceVector<M>(px, ddy, pc, dg, dh, dfs, dfo, 0); reduceVector<M>(px, ddy, pc, dg, dh, dfs, dfo, 16);
          reduceVector<M>(px, ddy, pc, dg, dh, dfs, dfo, 32); reduceVector<M>(px, ddy, pc, dg, dh, dfs, dfo, 48);
        }
        for (let end = centers + (<usize>c4 << 2); pc < end; pc += 16, px += 16) reduceVector<M>(px, ddy, pc, dg, dh, dfs, dfo, 0);
      }
      if (c4 < c1) reduceColumnsScalar<M>(dy, x, rows, C, c4, c1, centers, gs, hs, fscales, foffsets);
      return;
    }
    for (; r + ROW_GROUP <= rows; r += ROW_GROUP, x += <usize>ROW_GROUP * cb) {
      for (let c = c0; c < c4; c += 4) {
        const o = <usize>c << 2;
        const m = v128.load(centers + o);
        const p0 = x + o, p1 = p0 + cb, p2 = p1 + cb, p3 = p2 + cb;
        const d0 = f32x4.sub(v128.load(p0), m), d1 = f32x4.sub(v128.load(p1), m);
        const d2 = f32x4.sub(v128.load(p2), m), d3 = f32x4.sub(v128.load(p3), m);
        let g0 = v128.load(p0 + ddy), g1 = v128.load(p1 + ddy), g2 = v128.load(p2 + ddy), g3 = v128.load(p3 + ddy);
        if (masked<M>()) {
          const fs = v128.load(fscales + o), fo = v128.load(foffsets + o);
          g0 = v128.and(g0, reluMask(d0, fs, fo)); g1 = v128.and(g1, reluMask(d1, fs, fo));
          g2 = v128.and(g2, reluMask(d2, fs, fo)); g3 = v128.and(g3, reluMask(d3, fs, fo));
        }
        v128.store(gs + o, f32x4.add(f32x4.add(f32x4.add(f32x4.add(v128.load(gs + o), g0), g1), g2), g3));
        const h = f32x4.add(f32x4.add(v128.load(hs + o), f32x4.mul(g0, d0)), f32x4.mul(g1, d1));
        v128.store(hs + o, f32x4.add(f32x4.add(h, f32x4.mul(g2, d2)), f32x4.mul(g3, d3)));
      }
      if (c4 < c1) reduceColumnsScalar<M>(x + ddy, x, ROW_GROUP, C, c4, c1, centers, gs, hs, fscales, foffsets);
    }
    dy = x + ddy;
  }
  if (r < rows) reduceColumnsScalar<M>(dy, x, rows - r, C, c0, c1, centers, gs, hs, fscales, foffsets);
}

/**
 * One vector of rowReduceChunk's row-by-row walk: x at px + o, dy ddy bytes further; centers
 * at pc + o and, dg, dh, dfs, dfo bytes from them, the sums and the forward's scales and offsets.
 */
// @ts-ignore: decorator
@inline function reduceVector<M>(px: usize, ddy: usize, pc: usize, dg: usize, dh: usize, dfs: usize, dfo: usize, o: usize): void {
  const d = f32x4.sub(v128.load(px + o), v128.load(pc + o));
  let g = v128.load(px + ddy + o);
  if (masked<M>()) g = v128.and(g, reluMask(d, v128.load(pc + dfs + o), v128.load(pc + dfo + o)));
  const pg = pc + dg + o, ph = pc + dh + o;
  v128.store(pg, f32x4.add(v128.load(pg), g));
  v128.store(ph, f32x4.add(v128.load(ph), f32x4.mul(g, d)));
}

/** rowReduceChunk over columns [c0, c1), one float at a time (gs / hs already hold the earlier rows). */
function reduceColumnsScalar<M>(
  dy: usize, x: usize, rows: i32, C: i32, c0: i32, c1: i32, centers: usize, gs: usize, hs: usize, fscales: usize, foffsets: usize,
): void {
  const cb = <usize>C << 2;
  for (let r = 0; r < rows; r++, dy += cb, x += cb) {
    for (let c = c0; c < c1; c++) {
      const o = <usize>c << 2;
      const d = load<f32>(x + o) - load<f32>(centers + o);
      const g = masked<M>() ? maskedGrad(load<f32>(dy + o), d, load<f32>(fscales + o), load<f32>(foffsets + o)) : load<f32>(dy + o);
      store<f32>(gs + o, load<f32>(gs + o) + g);
      store<f32>(hs + o, load<f32>(hs + o) + g * d);
    }
  }
}

/** dx = a * (dy + h * (x - shift) + k) over `blocks` runs of `len` floats, `stride` bytes apart; dy masked in the Relu instance. */
export function elemtRuns<M>(
  dy: usize, x: usize, dx: usize, blocks: i32, len: i32, stride: usize, shift: f32, a: f32, h: f32, k: f32,
  fscale: f32, foffset: f32,
): void {
  for (let blk = 0; blk < blocks; blk++, dy += stride, x += stride, dx += stride) {
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const vs = f32x4.splat(shift), va = f32x4.splat(a), vh = f32x4.splat(h), vk = f32x4.splat(k);
      const fs = f32x4.splat(fscale), fo = f32x4.splat(foffset);
      for (; i + 4 <= len; i += 4) {
        const q = <usize>i << 2;
        const d = f32x4.sub(v128.load(x + q), vs);
        let g = v128.load(dy + q);
        if (masked<M>()) g = v128.and(g, reluMask(d, fs, fo));
        v128.store(dx + q, f32x4.mul(va, f32x4.add(f32x4.add(g, f32x4.mul(vh, d)), vk)));
      }
    }
    for (; i < len; i++) {
      const q = <usize>i << 2;
      const d = load<f32>(x + q) - shift;
      const g = masked<M>() ? maskedGrad(load<f32>(dy + q), d, fscale, foffset) : load<f32>(dy + q);
      store<f32>(dx + q, a * (g + h * d + k));
    }
  }
}

/** dx = a * (dy + h * (x - shift) + k) for channel c of a planar tensor. */
export function planeElemt<M>(
  dy: usize, x: usize, dx: usize, N: i32, C: i32, S: i32, c: i32, coef: usize, fcoef: usize,
): void {
  const o = <usize>c << 2, cb = <usize>C << 2;
  elemtRuns<M>(
    planeBase(dy, C, S, c), planeBase(x, C, S, c), planeBase(dx, C, S, c), N, S, planeStride(C, S),
    load<f32>(coef + o), load<f32>(coef + cb + o), load<f32>(coef + 2 * cb + o), load<f32>(coef + 3 * cb + o),
    masked<M>() ? forwardScale(fcoef, C, c) : <f32>0, masked<M>() ? forwardOffset(fcoef, C, c) : <f32>0,
  );
}

/** dx = a * (dy + h * (x - shift) + k) over R rows of C channels, front to back (see rowApply in apply.ts). */
export function rowElemt<M>(dy: usize, x: usize, dx: usize, R: i32, C: i32, coef: usize, fcoef: usize): void {
  if (rowGroupOf(R, C) > 1) rowElemtGroups<M>(dy, x, dx, R, C, 0, C, coef, fcoef);
  else rowElemtRange<M>(dy, x, dx, R, C, 0, C, coef, fcoef);
}

/** rowElemtRange ROW_GROUP rows per load of each vector of coefficients (see rowGroupOf in apply.ts). */
function rowElemtGroups<M>(dy: usize, x: usize, dx: usize, R: i32, C: i32, c0: i32, c1: i32, coef: usize, fcoef: usize): void {
  const cb = <usize>C << 2;
  const ddy = dy - x, ddx = dx - x;
  let r = 0;
  if (ASC_FEATURE_SIMD) {
    const c4 = c0 + ((c1 - c0) & ~3);
    for (; r + ROW_GROUP <= R; r += ROW_GROUP, x += <usize>ROW_GROUP * cb) {
      for (let c = c0; c < c4; c += 4) {
        const q = <usize>c << 2;
        const vs = v128.load(coef + q), va = v128.load(coef + cb + q), vh = v128.load(coef + 2 * cb + q), vk = v128.load(coef + 3 * cb + q);
        const fs = masked<M>() ? v128.load(fcoef + cb + q) : vs, fo = masked<M>() ? v128.load(fcoef + 2 * cb + q) : vs;
        for (let p = x + q, j = 0; j < ROW_GROUP; j++, p += cb) {
          const d = f32x4.sub(v128.load(p), vs);
          let g = v128.load(p + ddy);
          if (masked<M>()) g = v128.and(g, reluMask(d, fs, fo));
          v128.store(p + ddx, f32x4.mul(va, f32x4.add(f32x4.add(g, f32x4.mul(vh, d)), vk)));
        }
      }
      if (c4 < c1) elemtColumns<M>(x, ddy, ddx, ROW_GROUP, C, c4, c1, coef, fcoef);
    }
  }
  if (r < R) elemtColumns<M>(x, ddy, ddx, R - r, C, c0, c1, coef, fcoef);
}

/** dx over columns [c0, c1) of `rows` rows at x (dy and dx ddy / ddx bytes from x), one float at a time. */
function elemtColumns<M>(x: usize, ddy: usize, ddx: usize, rows: i32, C: i32, c0: i32, c1: i32, coef: usize, fcoef: usize): void {
  const cb = <usize>C << 2;
  for (let r = 0; r < rows; r++, x += cb) {
    for (let c = c0; c < c1; c++) {
      const q = <usize>c << 2;
      const d = load<f32>(x + q) - load<f32>(coef + q);
      const g0 = load<f32>(x + ddy + q);
      const g = masked<M>() ? maskedGrad(g0, d, load<f32>(fcoef + cb + q), load<f32>(fcoef + 2 * cb + q)) : g0;
      store<f32>(x + ddx + q, load<f32>(coef + cb + q) * (g + load<f32>(coef + 2 * cb + q) * d + load<f32>(coef + 3 * cb + q)));
    }
  }
}

function rowElemtRange<M>(dy: usize, x: usize, dx: usize, R: i32, C: i32, c0: i32, c1: i32, coef: usize, fcoef: usize): void {
  const cb = <usize>C << 2, ddy = dy - x, ddx = dx - x, dfc = fcoef - coef;
  for (let r = 0; r < R; r++, x += cb) {
    let c = c0;
    if (ASC_FEATURE_SIMD) {
      // 16 channels per step at constant offsets from pointers that move together, as rowApplyRows.
      let pc = coef + (<usize>c0 << 2), px = x + (<usize>c0 << 2);
      for (let end = pc + (<usize>((c1 - c0) & ~15) << 2); pc < end; pc += 64, px += 64) {
        elemtVector<M>(px, ddy, ddx, pc, cb, dfc, 0); elemtVector<M>(px, ddy, ddx, pc, cb, dfc, 16);
        elemtVector<M>(px, ddy, ddx, pc, cb, dfc, 32); elemtVector<M>(px, ddy, ddx, pc, cb, dfc, 48);
      }
      c = c0 + ((c1 - c0) & ~15);
      for (; c + 4 <= c1; c += 4) elemtVector<M>(x, ddy, ddx, coef, cb, dfc, <usize>c << 2);
    }
    if (c < c1) elemtColumns<M>(x, ddy, ddx, 1, C, c, c1, coef, fcoef);
  }
}

/** One vector of rowElemtRange: x at px + o, dy and dx ddy / ddx bytes further, its coefficients at pc + o + k * cb, the forward's dfc bytes from them. */
// @ts-ignore: decorator
@inline function elemtVector<M>(px: usize, ddy: usize, ddx: usize, pc: usize, cb: usize, dfc: usize, o: usize): void {
  const d = f32x4.sub(v128.load(px + o), v128.load(pc + o));
  let g = v128.load(px + ddy + o);
  if (masked<M>()) g = v128.and(g, reluMask(d, v128.load(pc + dfc + cb + o), v128.load(pc + dfc + 2 * cb + o)));
  const t = f32x4.add(g, f32x4.mul(v128.load(pc + 2 * cb + o), d));
  v128.store(px + ddx + o, f32x4.mul(v128.load(pc + cb + o), f32x4.add(t, v128.load(pc + 3 * cb + o))));
}

/**
 * sum(dy), sum(dy * (x - mean)) per channel over an (N, C, S) tensor in either layout;
 * when masked, fcoef holds the forward's coefficients. slot: see rowReduce (interleaved only).
 */
export function reduceChannels<M>(
  dy: usize, x: usize, N: i32, C: i32, S: i32, channelsLast: i32,
  mean64: usize, sumDy64: usize, sumDyXmu64: usize, slot: usize, fcoef: usize,
): void {
  if (isInterleaved(S, channelsLast)) {
    rowReduce<M>(dy, x, N * S, C, mean64, sumDy64, sumDyXmu64, slot, fcoef);
  } else if (inMemoryOrder(S)) {
    planeReduceInOrder<M>(dy, x, N, C, S, mean64, sumDy64, sumDyXmu64, fcoef);
  } else {
    for (let c = firstUnit(), end = endUnit(C); c < end; c++) planeReduce<M>(dy, x, N, C, S, c, mean64, sumDy64, sumDyXmu64, fcoef);
  }
}

/** dx = a * (dy + h * (x - shift) + k) over an (N, C, S) tensor in either layout (fcoef: as reduceChannels). */
export function elemtChannels<M>(
  dy: usize, x: usize, dx: usize, N: i32, C: i32, S: i32, channelsLast: i32, coef: usize, fcoef: usize,
): void {
  if (isInterleaved(S, channelsLast)) {
    rowElemt<M>(dy, x, dx, N * S, C, coef, fcoef);
  } else if (inMemoryOrder(S)) {
    // Run after run in memory order, as applyChannels (apply.ts).
    const cb = <usize>C << 2, run = <usize>S << 2;
    const c0 = firstUnit(), c1 = endUnit(C);
    for (let n = 0; n < N; n++) {
      for (let c = c0, o = (<usize>n * <usize>C + <usize>c0) * run; c < c1; c++, o += run) {
        const q = <usize>c << 2;
        elemtRuns<M>(
          dy + o, x + o, dx + o, 1, S, 0, load<f32>(coef + q), load<f32>(coef + cb + q), load<f32>(coef + 2 * cb + q),
          load<f32>(coef + 3 * cb + q), masked<M>() ? forwardScale(fcoef, C, c) : <f32>0, masked<M>() ? forwardOffset(fcoef, C, c) : <f32>0,
        );
      }
    }
  } else {
    for (let c = 0; c < C; c++) planeElemt<M>(dy, x, dx, N, C, S, c, coef, fcoef);
  }
}

/**
 * planeReduce of every channel in one walk in memory order (inMemoryOrder): the same chunks
 * summed and added in the same order per channel, the sums kept in sumDy64 / sumDyXmu64.
 */
function planeReduceInOrder<M>(
  dy: usize, x: usize, N: i32, C: i32, S: i32, mean64: usize, sumDy64: usize, sumDyXmu64: usize, fcoef: usize,
): void {
  const pieces = (S + CHUNK - 1) / CHUNK;
  const pieceLen = (S + pieces - 1) / pieces;
  const run = <usize>S << 2;
  // This thread's channels (units.ts; all of them on one thread).
  const c0 = firstUnit(), c1 = endUnit(C);
  if (c0 >= c1) return;
  memory.fill(sumDy64 + (<usize>c0 << 3), 0, <usize>(c1 - c0) << 3);
  memory.fill(sumDyXmu64 + (<usize>c0 << 3), 0, <usize>(c1 - c0) << 3);
  for (let n = 0; n < N; n++) {
    for (let c = c0, o = (<usize>n * <usize>C + <usize>c0) * run; c < c1; c++, o += run) {
      const o8 = <usize>c << 3;
      const center = <f32>load<f64>(mean64 + o8);
      const fscale: f32 = masked<M>() ? forwardScale(fcoef, C, c) : 0, foffset: f32 = masked<M>() ? forwardOffset(fcoef, C, c) : 0;
      accDy = load<f64>(sumDy64 + o8);
      accDyX = load<f64>(sumDyXmu64 + o8);
      for (let k = 0; k < pieces; k++) {
        const start = <usize>(k * pieceLen) << 2, len = min(pieceLen, S - k * pieceLen);
        reduceRuns<M>(dy + o + start, x + o + start, 1, len, 0, center, fscale, foffset);
        checkPartSums(dy + o + start, x + o + start, 1, len, 0, center, masked<M>(), fscale, foffset);
        addPartSums();
      }
      store<f64>(sumDy64 + o8, accDy);
      store<f64>(sumDyXmu64 + o8, accDyX);
    }
  }
  for (let c = c0; c < c1; c++) {
    const o8 = <usize>c << 3;
    const mean = load<f64>(mean64 + o8);
    store<f64>(sumDyXmu64 + o8, load<f64>(sumDyXmu64 + o8) - (mean - <f64><f32>mean) * load<f64>(sumDy64 + o8));
  }
}

/**
 * The training backward straight from the definition, reductions included, in f64: for
 * channels of at most EXACT_COUNT values (see layout.ts), with the forward's exactStats.
 * Small by construction, so per-element index arithmetic is fine.
 */
export function exactBackward(
  dy: usize, x: usize, dx: usize, N: i32, C: i32, S: i32, channelsLast: i32,
  mean64: usize, invstd64: usize, weight: usize, sumDy64: usize, sumDyXmu64: usize, relu: bool, fcoef: usize,
): void {
  const count = <f64>N * <f64>S;
  for (let c = 0; c < C; c++) {
    const o8 = <usize>c << 3;
    const mean = load<f64>(mean64 + o8);
    const shift = <f32>mean;
    const fscale = relu ? forwardScale(fcoef, C, c) : 0, foffset = relu ? forwardOffset(fcoef, C, c) : 0;
    let g: f64 = 0, h: f64 = 0;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const q = <usize>elementIndex(n, c, s, C, S, channelsLast) << 2;
        const xv = load<f32>(x + q);
        const d = <f64>(relu ? maskedGrad(load<f32>(dy + q), xv - shift, fscale, foffset) : load<f32>(dy + q));
        g += d;
        h += d * (<f64>xv - mean);
      }
    }
    store<f64>(sumDy64 + o8, g);
    store<f64>(sumDyXmu64 + o8, h);
    if (!dx) continue;
    const invstd = load<f64>(invstd64 + o8);
    const a = (weight ? <f64>load<f32>(weight + (<usize>c << 2)) : 1.0) * invstd;
    const gm = g / count;
    const hm = invstd * invstd * h / count;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const q = <usize>elementIndex(n, c, s, C, S, channelsLast) << 2;
        const xv = load<f32>(x + q);
        const d = <f64>(relu ? maskedGrad(load<f32>(dy + q), xv - shift, fscale, foffset) : load<f32>(dy + q));
        store<f32>(dx + q, <f32>(a * (d - gm - (<f64>xv - mean) * hm)));
      }
    }
  }
}
