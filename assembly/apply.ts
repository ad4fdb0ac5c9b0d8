// Element-wise per-channel affine map: y = (x - shift[c]) * scale[c] + offset[c].
//
// Every forward (training and inference) and the inference backward are this one map with
// different coefficients. Subtracting the f32 `shift` (the mean rounded to f32) before
// scaling keeps x - mean exact when x is far from zero; the rounding left in the mean is
// folded into `offset` in f64 by the coefficient code.
//
// coef points at three f32 arrays of C: shift, scale, offset.

import { isInterleaved, planeBase, planeStride } from "./layout";

/** Applies the map to channel c of a planar tensor (all N runs). */
export function planeApply(x: usize, y: usize, N: i32, C: i32, S: i32, c: i32, coef: usize): void {
  const o = <usize>c << 2;
  const cb = <usize>C << 2;
  const shift = load<f32>(coef + o);
  const scale = load<f32>(coef + cb + o);
  const offset = load<f32>(coef + 2 * cb + o);
  const stride = planeStride(C, S);
  const start = planeBase(0, C, S, c);
  for (let n = 0; n < N; n++) {
    const at = start + <usize>n * stride;
    const px = x + at, py = y + at;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const vs = f32x4.splat(shift), vk = f32x4.splat(scale), vo = f32x4.splat(offset);
      for (; i + 8 <= S; i += 8) {
        const q = <usize>i << 2;
        v128.store(py + q, f32x4.add(f32x4.mul(f32x4.sub(v128.load(px + q), vs), vk), vo));
        v128.store(py + q, f32x4.add(f32x4.mul(f32x4.sub(v128.load(px + q, 16), vs), vk), vo), 16);
      }
      for (; i + 4 <= S; i += 4) {
        const q = <usize>i << 2;
        v128.store(py + q, f32x4.add(f32x4.mul(f32x4.sub(v128.load(px + q), vs), vk), vo));
      }
    }
    for (; i < S; i++) {
      const q = <usize>i << 2;
      store<f32>(py + q, (load<f32>(px + q) - shift) * scale + offset);
    }
  }
}

/** Applies the map to R rows of C channels. */
export function rowApply(x: usize, y: usize, R: i32, C: i32, coef: usize): void {
  const cb = <usize>C << 2;
  const shifts = coef, scales = coef + cb, offsets = coef + 2 * cb;
  for (let r = 0; r < R; r++, x += cb, y += cb) {
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= C; c += 4) {
        const q = <usize>c << 2;
        const v = f32x4.mul(f32x4.sub(v128.load(x + q), v128.load(shifts + q)), v128.load(scales + q));
        v128.store(y + q, f32x4.add(v, v128.load(offsets + q)));
      }
    }
    for (; c < C; c++) {
      const q = <usize>c << 2;
      store<f32>(y + q, (load<f32>(x + q) - load<f32>(shifts + q)) * load<f32>(scales + q) + load<f32>(offsets + q));
    }
  }
}

/** y = (x - shift[c]) * scale[c] + offset[c] over an (N, C, S) tensor in either layout. */
export function applyChannels(x: usize, y: usize, N: i32, C: i32, S: i32, channelsLast: i32, coef: usize): void {
  if (isInterleaved(S, channelsLast)) {
    rowApply(x, y, N * S, C, coef);
  } else {
    for (let c = 0; c < C; c++) planeApply(x, y, N, C, S, c, coef);
  }
}
