// Element-wise per-channel affine map: y = max((x - shift[c]) * scale[c] + offset[c], floor).
//
// Every forward (training and inference) and the inference backward are this one map with
// different coefficients. floor is -Infinity (a no-op that keeps NaN) or 0, the fused ReLU
// of batchNormRelu: one more vector op in a loop that waits on memory anyway. It is pmax
// (v < floor ? floor : v), a single maxps: f32x4.max's IEEE rules for NaN and -0 take V8
// several instructions, which cost the plain forward a quarter of its time. Subtracting the f32 `shift` (the mean rounded to f32) before
// scaling keeps x - mean exact when x is far from zero; the rounding left in the mean is
// folded into `offset` in f64 by the coefficient code.
//
// coef points at three f32 arrays of C: shift, scale, offset.

import { ROW_GROUP, isInterleaved, planeBase, planeStride } from "./layout";
import { endUnit, firstUnit } from "./units";

/** The map over `blocks` runs of `len` floats, `stride` bytes apart. */
export function applyRuns(
  x: usize, y: usize, blocks: i32, len: i32, stride: usize, shift: f32, scale: f32, offset: f32, floor: f32,
): void {
  for (let b = 0; b < blocks; b++, x += stride, y += stride) {
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const vs = f32x4.splat(shift), vk = f32x4.splat(scale), vo = f32x4.splat(offset), vf = f32x4.splat(floor);
      for (; i + 8 <= len; i += 8) {
        const q = <usize>i << 2;
        v128.store(y + q, f32x4.pmax(f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), vs), vk), vo), vf));
        v128.store(y + q, f32x4.pmax(f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q, 16), vs), vk), vo), vf), 16);
      }
      if (i + 4 <= len) {
        const q = <usize>i << 2;
        v128.store(y + q, f32x4.pmax(f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), vs), vk), vo), vf));
        i += 4;
      }
    }
    for (; i < len; i++) {
      const q = <usize>i << 2;
      store<f32>(y + q, floorAt((load<f32>(x + q) - shift) * scale + offset, floor));
    }
  }
}

/** v < floor ? floor : v (NaN kept), as f32x4.pmax does. */
// @ts-ignore: decorator
@inline export function floorAt(v: f32, floor: f32): f32 {
  return v < floor ? floor : v;
}

/**
 * Applies the map to R rows of C channels, front to back. (A walk from the last rows to the
 * first, to start on the rows a reduction just left in the last-level cache, measured 1.4x
 * slower: it costs the hardware prefetchers their stream at every chunk.)
 */
export function rowApply(x: usize, y: usize, R: i32, C: i32, coef: usize, floor: f32): void {
  if (rowGroupOf(R, C) > 1) rowApplyGroups(x, y, R, C, coef, floor);
  else rowApplyRows(x, y, R, C, coef, floor);
}

/**
 * Tensors of at most this many floats, in rows of at most ROW_GROUP_MAX_C, are mapped
 * ROW_GROUP rows at a time by the element-wise kernels (rowGroupOf).
 */
const ROW_GROUP_MAX_SIZE: i32 = 1 << 18;
const ROW_GROUP_MAX_C: i32 = 512;

/**
 * Rows the element-wise kernels of an interleaved tensor map per load of a channel's
 * coefficients: ROW_GROUP for a tensor in L2 (1 MiB) of rows up to 2 KiB, else 1 (row by row). Stores to
 * four rows at once measured 1.4-1.7x faster in L2 (8x32x32x32 NHWC apply: 0.048 -> 0.029 ms)
 * but slower from L3 or memory (4096x512: 0.38 -> 0.56 ms) and on rows of 4 KiB (256x1024:
 * 0.045 -> 0.061 ms).
 */
export function rowGroupOf(R: i32, C: i32): i32 {
  return <i64>R * <i64>C <= <i64>ROW_GROUP_MAX_SIZE && C <= ROW_GROUP_MAX_C ? ROW_GROUP : 1;
}

/** The map over R rows, ROW_GROUP rows per load of each vector of coefficients. */
function rowApplyGroups(x: usize, y: usize, R: i32, C: i32, coef: usize, floor: f32): void {
  const cb = <usize>C << 2;
  const dy = y - x;
  let r = 0;
  if (ASC_FEATURE_SIMD) {
    const vf = f32x4.splat(floor);
    const c4 = C & ~3;
    for (; r + ROW_GROUP <= R; r += ROW_GROUP, x += <usize>ROW_GROUP * cb) {
      for (let c = 0; c < c4; c += 4) {
        const q = <usize>c << 2;
        const vs = v128.load(coef + q), vk = v128.load(coef + cb + q), vo = v128.load(coef + 2 * cb + q);
        const p0 = x + q, p1 = p0 + cb, p2 = p1 + cb, p3 = p2 + cb;
        v128.store(p0 + dy, f32x4.pmax(f32x4.add(f32x4.mul(f32x4.sub(v128.load(p0), vs), vk), vo), vf));
        v128.store(p1 + dy, f32x4.pmax(f32x4.add(f32x4.mul(f32x4.sub(v128.load(p1), vs), vk), vo), vf));
        v128.store(p2 + dy, f32x4.pmax(f32x4.add(f32x4.mul(f32x4.sub(v128.load(p2), vs), vk), vo), vf));
        v128.store(p3 + dy, f32x4.pmax(f32x4.add(f32x4.mul(f32x4.sub(v128.load(p3), vs), vk), vo), vf));
      }
      if (c4 < C) rowApplyColumns(x, dy, ROW_GROUP, C, c4, C, coef, floor);
    }
  }
  if (r < R) rowApplyColumns(x, dy, R - r, C, 0, C, coef, floor);
}

/** The map over R rows, row by row. */
export function rowApplyRows(x: usize, y: usize, R: i32, C: i32, coef: usize, floor: f32): void {
  const cb = <usize>C << 2;
  const shifts = coef, scales = coef + cb, offsets = coef + 2 * cb;
  for (let r = 0; r < R; r++, x += cb, y += cb) {
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      const vf = f32x4.splat(floor);
      // 16 channels per step at constant offsets from pointers that move together: one
      // address add per pointer per step rather than one per load (measured 1.49x -> 1.28x
      // a copy's time on 100352 rows of 64).
      for (let ps = shifts, px = x, py = y, end = x + (cb & ~63); px < end; px += 64, py += 64, ps += 64) {
        applyVector(px, py, ps, cb, vf, 0);
        applyVector(px, py, ps, cb, vf, 16);
        applyVector(px, py, ps, cb, vf, 32);
        applyVector(px, py, ps, cb, vf, 48);
      }
      c = C & ~15;
      for (; c + 4 <= C; c += 4) applyVector(x, y, shifts, cb, vf, <usize>c << 2);
    }
    for (; c < C; c++) {
      const q = <usize>c << 2;
      const v = (load<f32>(x + q) - load<f32>(shifts + q)) * load<f32>(scales + q) + load<f32>(offsets + q);
      store<f32>(y + q, floorAt(v, floor));
    }
  }
}

/** One vector of rowApplyRows: the floats at px + o, their coefficients at ps + o, ps + cb + o and ps + 2 * cb + o. */
// @ts-ignore: decorator
@inline function applyVector(px: usize, py: usize, ps: usize, cb: usize, vf: v128, o: usize): void {
  const v = f32x4.mul(f32x4.sub(v128.load(px + o), v128.load(ps + o)), v128.load(ps + cb + o));
  v128.store(py + o, f32x4.pmax(f32x4.add(v, v128.load(ps + 2 * cb + o)), vf));
}

/** The map over columns [c0, c1) of `rows` rows at x, written dy bytes further, one float at a time. */
function rowApplyColumns(x: usize, dy: usize, rows: i32, C: i32, c0: i32, c1: i32, coef: usize, floor: f32): void {
  const cb = <usize>C << 2;
  for (let r = 0; r < rows; r++, x += cb) {
    for (let c = c0; c < c1; c++) {
      const q = <usize>c << 2;
      const v = (load<f32>(x + q) - load<f32>(coef + q)) * load<f32>(coef + cb + q) + load<f32>(coef + 2 * cb + q);
      store<f32>(x + q + dy, floorAt(v, floor));
    }
  }
}

/** y = max((x - shift[c]) * scale[c] + offset[c], floor) over an (N, C, S) tensor in either layout. */
export function applyChannels(x: usize, y: usize, N: i32, C: i32, S: i32, channelsLast: i32, coef: usize, floor: f32): void {
  if (isInterleaved(S, channelsLast)) {
    rowApply(x, y, N * S, C, coef, floor);
  } else {
    // In memory order, run after run: walking a channel's N runs (a plane apart) costs the
    // hardware prefetchers their stream at every run (measured on (32, 64, 56, 56): 2.1 ms
    // channel by channel, 0.94 ms in memory order, for a memory.copy's 0.8 ms).
    const cb = <usize>C << 2;
    const run = <usize>S << 2;
    const c0 = firstUnit(), c1 = endUnit(C);
    for (let n = 0; n < N; n++) {
      for (let c = c0, o = (<usize>n * <usize>C + <usize>c0) * run; c < c1; c++, o += run) {
        const q = <usize>c << 2;
        applyRuns(x + o, y + o, 1, S, 0, load<f32>(coef + q), load<f32>(coef + cb + q), load<f32>(coef + 2 * cb + q), floor);
      }
    }
  }
}
