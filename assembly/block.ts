// The argument block: every per-channel (batch norm) or per-row / per-group (layer and
// group norm) array of a call lives in one region, so a kernel takes its tensors, its
// dims, a flags word, eps and one block pointer instead of a dozen pointers. The layout,
// for K statistics and P parameters (src/runtime/kernels.ts mirrors it; blockBytes lets
// the tests pin the two together):
//   f64 K each: mean, var (biased), invstd, sumDy, sumDyXmu
//   f32 P each: weight, bias, dweight, dbias, runMean, runVar, addBias, daddBias
//   f32 7P:     coef (the forward's 3P coefficients, then the backward's 4P)
//   scratch:    what the kernel needs (see each kernel)
// K is rounded up to even and P to a multiple of 4, so every array starts 16-byte aligned.

/** Flag bits: the tensor is channels last / the backward goes through the batch statistics / a ReLU is fused. */
export const CHANNELS_LAST: i32 = 1, TRAINING: i32 = 2, RELU: i32 = 4;
/** Flag bits: which optional parameter arrays of the block are present (read) or wanted (written). */
export const WEIGHT: i32 = 8, BIAS: i32 = 16, DWEIGHT: i32 = 32, DBIAS: i32 = 64;
/** Flag bits of the row norms (rownorm.ts): layer norm rather than RMS norm / addBias present / daddBias wanted. */
export const CENTERED: i32 = 128, ADD_BIAS: i32 = 256, DADD_BIAS: i32 = 512;

/** The f64 statistics arrays, in block order (STATS of them). */
export const MEAN: i32 = 0, VAR: i32 = 1, INVSTD: i32 = 2, SUM_DY: i32 = 3, SUM_DY_XMU: i32 = 4;
const STATS: i32 = 5;

/** The f32 parameter arrays, in block order (PARAMS of them), then COEFS * P floats of coefficients. */
export const WEIGHT_AT: i32 = 0, BIAS_AT: i32 = 1, DWEIGHT_AT: i32 = 2, DBIAS_AT: i32 = 3, RUN_MEAN_AT: i32 = 4, RUN_VAR_AT: i32 = 5;
export const ADD_BIAS_AT: i32 = 6, DADD_BIAS_AT: i32 = 7;
const PARAMS: i32 = 8, COEFS: i32 = 7;

// @ts-ignore: decorator
@inline function statBytes(K: i32): usize {
  return <usize>((K + 1) & ~1) << 3;
}

// @ts-ignore: decorator
@inline function paramBytes(P: i32): usize {
  return <usize>((P + 3) & ~3) << 2;
}

/** The f64 statistics array `i` (MEAN ... SUM_DY_XMU). */
// @ts-ignore: decorator
@inline export function stat(block: usize, K: i32, i: i32): usize {
  return block + <usize>i * statBytes(K);
}

/** The f32 parameter array `i` (WEIGHT_AT ... DADD_BIAS_AT). */
// @ts-ignore: decorator
@inline export function param(block: usize, K: i32, P: i32, i: i32): usize {
  return block + <usize>STATS * statBytes(K) + <usize>i * paramBytes(P);
}

/** The parameter array `i` if `bit` is set in flags, else 0 (absent: the kernels' convention). */
// @ts-ignore: decorator
@inline export function optional(block: usize, K: i32, P: i32, i: i32, flags: i32, bit: i32): usize {
  return flags & bit ? param(block, K, P, i) : 0;
}

// @ts-ignore: decorator
@inline export function coefOf(block: usize, K: i32, P: i32): usize {
  return param(block, K, P, PARAMS);
}

// @ts-ignore: decorator
@inline export function scratchOf(block: usize, K: i32, P: i32): usize {
  return coefOf(block, K, P) + <usize>COEFS * paramBytes(P);
}

/** Bytes of a block with `scratch` bytes of scratch. */
export function blockBytes(K: i32, P: i32, scratch: i32): usize {
  return scratchOf(0, K, P) + <usize>scratch;
}
