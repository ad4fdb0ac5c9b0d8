// Two channels' work in one loop, for planar tensors of short runs (S < CHUNK / 2; longer
// runs are walked in memory order, see inMemoryOrder in layout.ts): the element-wise pass of channel c
// (whose statistics are known) and the reduction of channel c + 1, `gap` bytes further.
// The reduction streams fresh data in from memory while the element-wise pass rereads
// channel c from cache and writes its output; overlapping the two beats alternating them
// (measured here: 1.54x -> 1.33x a memory.copy for the forward on (64, 128, 56, 56)).
// Each kernel covers one chunk (layout.ts) and leaves the reduction's sums to its caller
// through setChunkSums / setPartSums.

import { setChunkSums } from "./stats";
import { maskedGrad, setPartSums } from "./backward";
import { floorAt } from "./apply";
import { masked } from "./mask";
import { hsum64 } from "./simd";

/** y = max((x - shift) * scale + offset, floor) on channel c's runs; shifted sums of channel c + 1's. */
export function applyWithSums(
  x: usize, y: usize, gap: usize, blocks: i32, len: i32, stride: usize,
  shift: f32, scale: f32, offset: f32, floor: f32, center: f32,
): void {
  let sd: f64 = 0, sdd: f64 = 0;
  for (let blk = 0; blk < blocks; blk++, x += stride, y += stride) {
    const xb = x + gap;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const vs = f32x4.splat(shift), vk = f32x4.splat(scale), vo = f32x4.splat(offset), vf = f32x4.splat(floor);
      const m = f32x4.splat(center);
      let d0 = f32x4.splat(0), d1 = f32x4.splat(0), q0 = f32x4.splat(0), q1 = f32x4.splat(0);
      for (; i + 8 <= len; i += 8) {
        const q = <usize>i << 2;
        const u = f32x4.sub(v128.load(xb + q), m), v = f32x4.sub(v128.load(xb + q, 16), m);
        d0 = f32x4.add(d0, u); q0 = f32x4.add(q0, f32x4.mul(u, u));
        d1 = f32x4.add(d1, v); q1 = f32x4.add(q1, f32x4.mul(v, v));
        v128.store(y + q, f32x4.pmax(f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), vs), vk), vo), vf));
        v128.store(y + q, f32x4.pmax(f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q, 16), vs), vk), vo), vf), 16);
      }
      if (i + 4 <= len) {
        const q = <usize>i << 2;
        const u = f32x4.sub(v128.load(xb + q), m);
        d0 = f32x4.add(d0, u); q0 = f32x4.add(q0, f32x4.mul(u, u));
        v128.store(y + q, f32x4.pmax(f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), vs), vk), vo), vf));
        i += 4;
      }
      sd += hsum64(f32x4.add(d0, d1));
      sdd += hsum64(f32x4.add(q0, q1));
    }
    let s: f32 = 0, t: f32 = 0;
    for (; i < len; i++) {
      const q = <usize>i << 2;
      const u = load<f32>(xb + q) - center;
      s += u; t += u * u;
      store<f32>(y + q, floorAt((load<f32>(x + q) - shift) * scale + offset, floor));
    }
    sd += <f64>s; sdd += <f64>t;
  }
  setChunkSums(sd, sdd);
}

/**
 * dx = a * (dy + h * (x - shift) + k) on channel c's runs; sum(dy), sum(dy * (x - center))
 * of channel c + 1's. Masked, each channel's dy is masked by its own forward ReLU
 * (forward scale / offset: fsA, foA for channel c, fsB, foB for channel c + 1) in the
 * Relu instance (mask.ts).
 */
export function elemtWithReduce<M>(
  dy: usize, x: usize, dx: usize, gap: usize, blocks: i32, len: i32, stride: usize,
  shift: f32, a: f32, h: f32, k: f32, center: f32, fsA: f32, foA: f32, fsB: f32, foB: f32,
): void {
  let sdy: f64 = 0, sdx: f64 = 0;
  for (let blk = 0; blk < blocks; blk++, dy += stride, x += stride, dx += stride) {
    const dyb = dy + gap, xb = x + gap;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const vs = f32x4.splat(shift), va = f32x4.splat(a), vh = f32x4.splat(h), vk = f32x4.splat(k), m = f32x4.splat(center);
      const zero = f32x4.splat(0);
      const sA = f32x4.splat(fsA), oA = f32x4.splat(foA), sB = f32x4.splat(fsB), oB = f32x4.splat(foB);
      let g0 = f32x4.splat(0), h0 = f32x4.splat(0);
      for (; i + 4 <= len; i += 4) {
        const q = <usize>i << 2;
        const e = f32x4.sub(v128.load(xb + q), m);
        let g = v128.load(dyb + q);
        if (masked<M>()) g = v128.and(g, f32x4.gt(f32x4.add(f32x4.mul(e, sB), oB), zero));
        g0 = f32x4.add(g0, g);
        h0 = f32x4.add(h0, f32x4.mul(g, e));
        const d = f32x4.sub(v128.load(x + q), vs);
        let u = v128.load(dy + q);
        if (masked<M>()) u = v128.and(u, f32x4.gt(f32x4.add(f32x4.mul(d, sA), oA), zero));
        v128.store(dx + q, f32x4.mul(va, f32x4.add(f32x4.add(u, f32x4.mul(vh, d)), vk)));
      }
      sdy += hsum64(g0);
      sdx += hsum64(h0);
    }
    let s: f32 = 0, t: f32 = 0;
    for (; i < len; i++) {
      const q = <usize>i << 2;
      const e = load<f32>(xb + q) - center;
      const g = masked<M>() ? maskedGrad(load<f32>(dyb + q), e, fsB, foB) : load<f32>(dyb + q);
      s += g;
      t += g * e;
      const d = load<f32>(x + q) - shift;
      const u = masked<M>() ? maskedGrad(load<f32>(dy + q), d, fsA, foA) : load<f32>(dy + q);
      store<f32>(dx + q, a * (u + h * d + k));
    }
    sdy += <f64>s; sdx += <f64>t;
  }
  setPartSums(sdy, sdx);
}
