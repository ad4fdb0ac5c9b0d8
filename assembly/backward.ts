// The backward pass: the per-channel reductions sum(dy) and sum(dy * (x - mean)) (one pass
// over dy and x), and the element-wise dx = a * dy + b * (x - shift) + k.
// Partial sums run in f32 lanes over at most CHUNK elements and are widened to f64.

import { CHUNK, isInterleaved, planeBase, planeStride } from "./layout";
import { hsum64 } from "./simd";

let partDy: f64 = 0;
let partDyX: f64 = 0;

/** sum(dy) and sum(dy * (x - center)) over len floats; into partDy / partDyX. */
function runSums(dy: usize, x: usize, len: i32, center: f32): void {
  let i = 0;
  let sdy: f64 = 0, sdx: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const m = f32x4.splat(center);
    let g0 = f32x4.splat(0), g1 = f32x4.splat(0), h0 = f32x4.splat(0), h1 = f32x4.splat(0);
    for (; i + 8 <= len; i += 8) {
      const q = <usize>i << 2;
      const u = v128.load(dy + q), v = v128.load(dy + q, 16);
      g0 = f32x4.add(g0, u);
      g1 = f32x4.add(g1, v);
      h0 = f32x4.add(h0, f32x4.mul(u, f32x4.sub(v128.load(x + q), m)));
      h1 = f32x4.add(h1, f32x4.mul(v, f32x4.sub(v128.load(x + q, 16), m)));
    }
    for (; i + 4 <= len; i += 4) {
      const q = <usize>i << 2;
      const u = v128.load(dy + q);
      g0 = f32x4.add(g0, u);
      h0 = f32x4.add(h0, f32x4.mul(u, f32x4.sub(v128.load(x + q), m)));
    }
    sdy = hsum64(f32x4.add(g0, g1));
    sdx = hsum64(f32x4.add(h0, h1));
  }
  let s: f32 = 0, t: f32 = 0;
  for (; i < len; i++) {
    const q = <usize>i << 2;
    const g = load<f32>(dy + q);
    s += g;
    t += g * (load<f32>(x + q) - center);
  }
  partDy = sdy + <f64>s;
  partDyX = sdx + <f64>t;
}

/** Reductions of channel c of a planar tensor into sumDy64[c], sumDyXmu64[c]. */
export function planeReduce(
  dy: usize, x: usize, N: i32, C: i32, S: i32, c: i32,
  mean64: usize, sumDy64: usize, sumDyXmu64: usize,
): void {
  const o8 = <usize>c << 3;
  const mean = load<f64>(mean64 + o8);
  const center = <f32>mean;
  const stride = planeStride(C, S);
  const start = planeBase(0, C, S, c);
  let sdy: f64 = 0, sdx: f64 = 0;
  for (let n = 0; n < N; n++) {
    const at = start + <usize>n * stride;
    for (let off = 0; off < S; off += CHUNK) {
      const o = at + (<usize>off << 2);
      runSums(dy + o, x + o, min(CHUNK, S - off), center);
      sdy += partDy;
      sdx += partDyX;
    }
  }
  store<f64>(sumDy64 + o8, sdy);
  // x - mean = (x - center) - (mean - center)
  store<f64>(sumDyXmu64 + o8, sdx - (mean - <f64>center) * sdy);
}

/**
 * Reductions over R rows of C channels. scratch: 3 * C f32 (centers, chunk sums of dy,
 * chunk sums of dy * (x - center)).
 */
export function rowReduce(
  dy: usize, x: usize, R: i32, C: i32,
  mean64: usize, sumDy64: usize, sumDyXmu64: usize, scratch: usize,
): void {
  const cb = <usize>C << 2;
  const centers = scratch, gs = scratch + cb, hs = scratch + 2 * cb;
  for (let c = 0; c < C; c++) store<f32>(centers + (<usize>c << 2), <f32>load<f64>(mean64 + (<usize>c << 3)));
  memory.fill(sumDy64, 0, <usize>C << 3);
  memory.fill(sumDyXmu64, 0, <usize>C << 3);
  const rowsPerChunk = max(16, CHUNK / C);
  for (let r0 = 0; r0 < R; r0 += rowsPerChunk) {
    const rows = min(rowsPerChunk, R - r0);
    memory.fill(gs, 0, cb);
    memory.fill(hs, 0, cb);
    for (let r = 0; r < rows; r++, dy += cb, x += cb) {
      let c = 0;
      if (ASC_FEATURE_SIMD) {
        for (; c + 4 <= C; c += 4) {
          const q = <usize>c << 2;
          const g = v128.load(dy + q);
          v128.store(gs + q, f32x4.add(v128.load(gs + q), g));
          v128.store(hs + q, f32x4.add(v128.load(hs + q), f32x4.mul(g, f32x4.sub(v128.load(x + q), v128.load(centers + q)))));
        }
      }
      for (; c < C; c++) {
        const q = <usize>c << 2;
        const g = load<f32>(dy + q);
        store<f32>(gs + q, load<f32>(gs + q) + g);
        store<f32>(hs + q, load<f32>(hs + q) + g * (load<f32>(x + q) - load<f32>(centers + q)));
      }
    }
    for (let c = 0; c < C; c++) {
      const q = <usize>c << 2, o8 = <usize>c << 3;
      store<f64>(sumDy64 + o8, load<f64>(sumDy64 + o8) + <f64>load<f32>(gs + q));
      store<f64>(sumDyXmu64 + o8, load<f64>(sumDyXmu64 + o8) + <f64>load<f32>(hs + q));
    }
  }
  for (let c = 0; c < C; c++) {
    const o8 = <usize>c << 3;
    const mean = load<f64>(mean64 + o8);
    const lost = mean - <f64>load<f32>(centers + (<usize>c << 2));
    store<f64>(sumDyXmu64 + o8, load<f64>(sumDyXmu64 + o8) - lost * load<f64>(sumDy64 + o8));
  }
}

/** dx = a * dy + b * (x - shift) + k for channel c of a planar tensor. */
export function planeElemt(dy: usize, x: usize, dx: usize, N: i32, C: i32, S: i32, c: i32, coef: usize): void {
  const o = <usize>c << 2, cb = <usize>C << 2;
  const shift = load<f32>(coef + o);
  const a = load<f32>(coef + cb + o);
  const b = load<f32>(coef + 2 * cb + o);
  const k = load<f32>(coef + 3 * cb + o);
  const stride = planeStride(C, S);
  const start = planeBase(0, C, S, c);
  for (let n = 0; n < N; n++) {
    const at = start + <usize>n * stride;
    const pg = dy + at, px = x + at, pd = dx + at;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const vs = f32x4.splat(shift), va = f32x4.splat(a), vb = f32x4.splat(b), vk = f32x4.splat(k);
      for (; i + 4 <= S; i += 4) {
        const q = <usize>i << 2;
        const t = f32x4.add(f32x4.mul(va, v128.load(pg + q)), f32x4.mul(vb, f32x4.sub(v128.load(px + q), vs)));
        v128.store(pd + q, f32x4.add(t, vk));
      }
    }
    for (; i < S; i++) {
      const q = <usize>i << 2;
      store<f32>(pd + q, a * load<f32>(pg + q) + b * (load<f32>(px + q) - shift) + k);
    }
  }
}

/** dx = a * dy + b * (x - shift) + k over R rows of C channels. */
export function rowElemt(dy: usize, x: usize, dx: usize, R: i32, C: i32, coef: usize): void {
  const cb = <usize>C << 2;
  const shifts = coef, as = coef + cb, bs = coef + 2 * cb, ks = coef + 3 * cb;
  for (let r = 0; r < R; r++, dy += cb, x += cb, dx += cb) {
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= C; c += 4) {
        const q = <usize>c << 2;
        const t = f32x4.add(
          f32x4.mul(v128.load(as + q), v128.load(dy + q)),
          f32x4.mul(v128.load(bs + q), f32x4.sub(v128.load(x + q), v128.load(shifts + q))),
        );
        v128.store(dx + q, f32x4.add(t, v128.load(ks + q)));
      }
    }
    for (; c < C; c++) {
      const q = <usize>c << 2;
      store<f32>(dx + q,
        load<f32>(as + q) * load<f32>(dy + q) + load<f32>(bs + q) * (load<f32>(x + q) - load<f32>(shifts + q)) + load<f32>(ks + q));
    }
  }
}

/** sum(dy), sum(dy * (x - mean)) per channel over an (N, C, S) tensor in either layout. */
export function backwardReduce(
  dy: usize, x: usize, N: i32, C: i32, S: i32, channelsLast: i32,
  mean64: usize, sumDy64: usize, sumDyXmu64: usize, scratch: usize,
): void {
  if (isInterleaved(S, channelsLast)) {
    rowReduce(dy, x, N * S, C, mean64, sumDy64, sumDyXmu64, scratch);
  } else {
    for (let c = 0; c < C; c++) planeReduce(dy, x, N, C, S, c, mean64, sumDy64, sumDyXmu64);
  }
}

/** dx = a * dy + b * (x - shift) + k over an (N, C, S) tensor in either layout. */
export function backwardElemtChannels(
  dy: usize, x: usize, dx: usize, N: i32, C: i32, S: i32, channelsLast: i32, coef: usize,
): void {
  if (isInterleaved(S, channelsLast)) {
    rowElemt(dy, x, dx, N * S, C, coef);
  } else {
    for (let c = 0; c < C; c++) planeElemt(dy, x, dx, N, C, S, c, coef);
  }
}

/**
 * The training backward straight from the definition, reductions included, in f64: for
 * channels of very few values. With two values per channel the exact dx is about
 * eps / var times dy, a difference of O(1) terms, and f32 sums or coefficients would lose
 * most of its digits. Small by construction, so per-element index arithmetic is fine.
 */
export function exactBackward(
  dy: usize, x: usize, dx: usize, N: i32, C: i32, S: i32, channelsLast: i32,
  mean64: usize, invstd64: usize, weight: usize, sumDy64: usize, sumDyXmu64: usize,
): void {
  const count = <f64>N * <f64>S;
  for (let c = 0; c < C; c++) {
    const o8 = <usize>c << 3;
    const mean = load<f64>(mean64 + o8);
    let g: f64 = 0, h: f64 = 0;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const q = <usize>(channelsLast ? (n * S + s) * C + c : (n * C + c) * S + s) << 2;
        const d = <f64>load<f32>(dy + q);
        g += d;
        h += d * (<f64>load<f32>(x + q) - mean);
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
        const q = <usize>(channelsLast ? (n * S + s) * C + c : (n * C + c) * S + s) << 2;
        store<f32>(dx + q, <f32>(a * (<f64>load<f32>(dy + q) - gm - (<f64>load<f32>(x + q) - mean) * hm)));
      }
    }
  }
}
