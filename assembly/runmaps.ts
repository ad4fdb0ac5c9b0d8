// Element-wise maps over one contiguous run with scalar coefficients: the group-norm and
// instance-norm planes (one channel of one sample) in the forward and the backward.
// Coefficients come from f64 statistics rounded once to f32; `shift` is the f32-rounded
// mean, subtracted first so that x - mean stays exact far from zero (see coefficients in
// groupnorm.ts for where the rounding residue goes).

/** y = (x - shift) * scale + offset over n floats. */
export function runApply(x: usize, y: usize, n: i32, shift: f32, scale: f32, offset: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(shift), vk = f32x4.splat(scale), vo = f32x4.splat(offset);
    for (; i + 8 <= n; i += 8) {
      const q = <usize>i << 2;
      v128.store(y + q, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), vs), vk), vo));
      v128.store(y + q, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q, 16), vs), vk), vo), 16);
    }
    for (; i + 4 <= n; i += 4) {
      const q = <usize>i << 2;
      v128.store(y + q, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), vs), vk), vo));
    }
  }
  for (; i < n; i++) {
    const q = <usize>i << 2;
    store<f32>(y + q, (load<f32>(x + q) - shift) * scale + offset);
  }
}

/** dx = (w * dy + b * (x - shift) + k) * s over n floats. */
export function runElemt(dy: usize, x: usize, dx: usize, n: i32, shift: f32, w: f32, b: f32, k: f32, s: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(shift), vw = f32x4.splat(w), vb = f32x4.splat(b), vk = f32x4.splat(k), vm = f32x4.splat(s);
    for (; i + 8 <= n; i += 8) {
      const q = <usize>i << 2;
      const t0 = f32x4.add(f32x4.mul(vw, v128.load(dy + q)), f32x4.mul(vb, f32x4.sub(v128.load(x + q), vs)));
      const t1 = f32x4.add(f32x4.mul(vw, v128.load(dy + q, 16)), f32x4.mul(vb, f32x4.sub(v128.load(x + q, 16), vs)));
      v128.store(dx + q, f32x4.mul(f32x4.add(t0, vk), vm));
      v128.store(dx + q, f32x4.mul(f32x4.add(t1, vk), vm), 16);
    }
    for (; i + 4 <= n; i += 4) {
      const q = <usize>i << 2;
      const t = f32x4.add(f32x4.mul(vw, v128.load(dy + q)), f32x4.mul(vb, f32x4.sub(v128.load(x + q), vs)));
      v128.store(dx + q, f32x4.mul(f32x4.add(t, vk), vm));
    }
  }
  for (; i < n; i++) {
    const q = <usize>i << 2;
    store<f32>(dx + q, (w * load<f32>(dy + q) + b * (load<f32>(x + q) - shift) + k) * s);
  }
}
