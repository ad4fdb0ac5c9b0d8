// Per-channel scalars, computed in f64 and rounded once: the element-wise kernels only
// ever see f32 coefficients. Loops over C here are cheap next to the N * S loops.
//
// Forward coefficients (three f32 arrays of C at coef): shift, scale, offset, so that
//   y = (x - shift) * scale + offset  ==  (x - mean) * invstd * weight + bias.
// Backward coefficients (four f32 arrays of C at coef): shift, a, h, k, so that
//   dx = a * (dy + h * (x - shift) + k).
// h is about 1 / std and a about weight / std: a single coefficient for x, a * h, would be
// about 1 / var, which leaves the f32 range once the std passes ~1e19.
// shift is the mean rounded to f32; what the rounding dropped is folded into offset / k.

// @ts-ignore: decorator
@inline function weightAt(weight: usize, c: i32): f64 {
  return weight ? <f64>load<f32>(weight + (<usize>c << 2)) : 1.0;
}

// @ts-ignore: decorator
@inline function biasAt(bias: usize, c: i32): f64 {
  return bias ? <f64>load<f32>(bias + (<usize>c << 2)) : 0.0;
}

/** Forward coefficients of channel c from mean64[c] and var64[c]; writes invstd64[c]. */
export function forwardCoefficient(
  c: i32, C: i32, mean64: usize, var64: usize, eps: f64,
  weight: usize, bias: usize, coef: usize, invstd64: usize,
): void {
  const invstd = 1.0 / Math.sqrt(load<f64>(var64 + (<usize>c << 3)) + eps);
  store<f64>(invstd64 + (<usize>c << 3), invstd);
  storeApplyCoefficient(c, C, load<f64>(mean64 + (<usize>c << 3)), invstd, weight, bias, coef);
}

// @ts-ignore: decorator
@inline function storeApplyCoefficient(c: i32, C: i32, mean: f64, invstd: f64, weight: usize, bias: usize, coef: usize): void {
  const o4 = <usize>c << 2, cb = <usize>C << 2;
  const shift = <f32>mean;
  const scale = weightAt(weight, c) * invstd;
  store<f32>(coef + o4, shift);
  store<f32>(coef + cb + o4, <f32>scale);
  // When the rounding dropped nothing the offset is the bias itself: (mean - shift) * scale
  // would be 0 * Infinity = NaN for a zero variance with eps = 0, where y must be
  // (x - mean) / 0 = +-Infinity as in the definition.
  const dropped = mean - <f64>shift;
  store<f32>(coef + 2 * cb + o4, <f32>(dropped == 0 ? biasAt(bias, c) : biasAt(bias, c) - dropped * scale));
}

/**
 * Forward coefficients from mean64 and invstd64 as a forward left them: what a separate
 * backward call of batchNormRelu needs to recompute the forward's ReLU mask exactly.
 */
export function applyCoefficients(
  C: i32, mean64: usize, invstd64: usize, weight: usize, bias: usize, coef: usize, from: i32 = 0, to: i32 = i32.MAX_VALUE,
): void {
  for (let c = from, end = min(to, C); c < end; c++) {
    storeApplyCoefficient(c, C, load<f64>(mean64 + (<usize>c << 3)), load<f64>(invstd64 + (<usize>c << 3)), weight, bias, coef);
  }
}

export function forwardCoefficients(
  C: i32, mean64: usize, var64: usize, eps: f64,
  weight: usize, bias: usize, coef: usize, invstd64: usize,
): void {
  for (let c = 0; c < C; c++) forwardCoefficient(c, C, mean64, var64, eps, weight, bias, coef, invstd64);
}

/**
 * Backward coefficients of channel c. With training = 0 the statistics are constants
 * (inference, frozen running statistics) and dx = weight * invstd * dy.
 * sumDy64 / sumDyXmu64 hold sum(dy) and sum(dy * (x - mean)); count is the number of
 * elements per channel over all shards.
 */
export function backwardCoefficient(
  c: i32, C: i32, training: i32, mean64: usize, invstd64: usize, weight: usize,
  sumDy64: usize, sumDyXmu64: usize, count: f64, coef: usize,
): void {
  const o8 = <usize>c << 3, o4 = <usize>c << 2, cb = <usize>C << 2;
  const mean = load<f64>(mean64 + o8);
  const invstd = load<f64>(invstd64 + o8);
  const shift = <f32>mean;
  let h: f64 = 0, k: f64 = 0;
  if (training) {
    h = -invstd * invstd * load<f64>(sumDyXmu64 + o8) / count;
    k = -load<f64>(sumDy64 + o8) / count - h * (mean - <f64>shift);
  }
  store<f32>(coef + o4, shift);
  store<f32>(coef + cb + o4, <f32>(weightAt(weight, c) * invstd));
  store<f32>(coef + 2 * cb + o4, <f32>h);
  store<f32>(coef + 3 * cb + o4, <f32>k);
}

export function backwardCoefficients(
  C: i32, training: i32, mean64: usize, invstd64: usize, weight: usize,
  sumDy64: usize, sumDyXmu64: usize, count: f64, coef: usize,
): void {
  for (let c = 0; c < C; c++) {
    backwardCoefficient(c, C, training, mean64, invstd64, weight, sumDy64, sumDyXmu64, count, coef);
  }
}

/**
 * Apply coefficients (shift, scale, offset) = (0, weight * invstd, 0): the inference
 * backward dx = dy * weight * invstd, run through the apply kernels.
 */
export function frozenCoefficients(C: i32, invstd64: usize, weight: usize, coef: usize): void {
  const cb = <usize>C << 2;
  for (let c = 0; c < C; c++) {
    const o4 = <usize>c << 2;
    store<f32>(coef + o4, 0);
    store<f32>(coef + cb + o4, <f32>(weightAt(weight, c) * load<f64>(invstd64 + (<usize>c << 3))));
    store<f32>(coef + 2 * cb + o4, 0);
  }
}

/** dweight = sum(dy * xhat), dbias = sum(dy); either pointer may be 0. */
export function affineGrads(C: i32, sumDy64: usize, sumDyXmu64: usize, invstd64: usize, dweight: usize, dbias: usize): void {
  for (let c = 0; c < C; c++) {
    const o8 = <usize>c << 3, o4 = <usize>c << 2;
    if (dweight) store<f32>(dweight + o4, <f32>(load<f64>(sumDyXmu64 + o8) * load<f64>(invstd64 + o8)));
    if (dbias) store<f32>(dbias + o4, <f32>load<f64>(sumDy64 + o8));
  }
}

/**
 * running = (1 - momentum) * running + momentum * batch, with the batch variance multiplied
 * by varFactor first (n / (n - 1) for PyTorch's unbiased estimate, 1 for the biased one).
 */
export function updateRunningStats(
  C: i32, runMean: usize, runVar: usize, mean64: usize, var64: usize, momentum: f64, varFactor: f64,
): void {
  const keep = 1.0 - momentum;
  for (let c = 0; c < C; c++) {
    const o8 = <usize>c << 3, o4 = <usize>c << 2;
    store<f32>(runMean + o4, <f32>(keep * <f64>load<f32>(runMean + o4) + momentum * load<f64>(mean64 + o8)));
    store<f32>(runVar + o4, <f32>(keep * <f64>load<f32>(runVar + o4) + momentum * load<f64>(var64 + o8) * varFactor));
  }
}

/** Widens f32 running statistics to the f64 arrays the coefficient code reads. */
export function widenStats(C: i32, runMean: usize, runVar: usize, mean64: usize, var64: usize): void {
  for (let c = 0; c < C; c++) {
    const o8 = <usize>c << 3, o4 = <usize>c << 2;
    store<f64>(mean64 + o8, <f64>load<f32>(runMean + o4));
    store<f64>(var64 + o8, <f64>load<f32>(runVar + o4));
  }
}
