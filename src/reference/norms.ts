// The pure-JS reference of the normalization family, straight from the definitions with
// float64 accumulation: layer norm over rows of L contiguous values, group norm (and
// instance norm, G = C) over (N, C, S) tensors, channels second or last.

import type { GroupDims } from "../runtime/backend.js";

type Floats = Float32Array | Float64Array;

/** Where element i of run r lies in the tensor. */
type ElementIndex = (r: number, i: number) => number;

/** Mean and 1 / sqrt(biased var + eps) of run r's L values, two passes in float64. */
function moments(x: Floats, r: number, L: number, at: ElementIndex, eps: number): { mean: number; variance: number; invstd: number } {
  let sum = 0;
  for (let i = 0; i < L; i++) sum += x[at(r, i)];
  const mean = sum / L;
  let sq = 0;
  for (let i = 0; i < L; i++) sq += (x[at(r, i)] - mean) * (x[at(r, i)] - mean);
  const variance = sq / L;
  return { mean, variance, invstd: 1 / Math.sqrt(variance + eps) };
}

/**
 * Both ops are runs of L values, each normalized by its own statistics; they differ in
 * where an element lies (`at(r, i)`) and which parameter it takes (`param(r, i)`).
 */
type ParamIndex = (r: number, i: number) => number;

function runsForward(
  x: Floats, y: Floats, runs: number, L: number, at: ElementIndex, param: ParamIndex, eps: number, weight: Floats | null, bias: Floats | null,
  mean: Float64Array, invstd: Float64Array, variance: Float64Array | null,
): void {
  for (let r = 0; r < runs; r++) {
    const m = moments(x, r, L, at, eps);
    mean[r] = m.mean;
    invstd[r] = m.invstd;
    if (variance) variance[r] = m.variance;
    for (let i = 0; i < L; i++) {
      const p = param(r, i), e = at(r, i);
      y[e] = (x[e] - m.mean) * m.invstd * (weight ? weight[p] : 1) + (bias ? bias[p] : 0);
    }
  }
}

/** dx = invstd * (g - mean(g) - xhat * mean(g * xhat)) per run with g = dy * w; dweight, dbias summed per parameter. */
function runsBackward(
  dy: Floats, x: Floats, dx: Floats | null, runs: number, L: number, at: ElementIndex, param: ParamIndex, P: number, weight: Floats | null,
  dweight: Floats | null, dbias: Floats | null, mean: Floats, invstd: Floats,
): void {
  const dw = new Float64Array(P), db = new Float64Array(P);
  for (let r = 0; r < runs; r++) {
    const m = mean[r], k = invstd[r];
    let sg = 0, sgx = 0;
    for (let i = 0; i < L; i++) {
      const p = param(r, i), e = at(r, i);
      const xhat = (x[e] - m) * k;
      const g = dy[e] * (weight ? weight[p] : 1);
      sg += g;
      sgx += g * xhat;
      dw[p] += dy[e] * xhat;
      db[p] += dy[e];
    }
    if (!dx) continue;
    for (let i = 0; i < L; i++) {
      const e = at(r, i);
      const xhat = (x[e] - m) * k;
      dx[e] = k * (dy[e] * (weight ? weight[param(r, i)] : 1) - sg / L - (xhat * sgx) / L);
    }
  }
  if (dweight) dweight.set(dw);
  if (dbias) dbias.set(db);
}

/** Element i of a row takes parameter i. */
const elementwise: ParamIndex = (_r, i) => i;
/** Runs of L contiguous values. */
const contiguous = (L: number): ElementIndex => (r, i) => r * L + i;
/**
 * Element i = j * S + s (channel j of the group, position s) of run (n, g) = r: contiguous
 * channels second; channels last, at row n * S + s, column g * (C / G) + j.
 */
const groupElement = (d: GroupDims): ElementIndex => {
  const Cg = d.C / d.G;
  if (!d.channelsLast) return contiguous(Cg * d.S);
  return (r, i) => (Math.floor(r / d.G) * d.S + (i % d.S)) * d.C + (r % d.G) * Cg + Math.floor(i / d.S);
};
/** Element i of run (n, g) = r lies in channel g * (C / G) + floor(i / S). */
const perChannel = (d: GroupDims): ParamIndex => {
  const Cg = d.C / d.G;
  return (r, i) => (r % d.G) * Cg + Math.floor(i / d.S);
};

/** y[r, i] = (x[r, i] - mean[r]) * invstd[r] * w[i] + b[i]; fills mean / invstd (R each). */
export function referenceLayerNorm(
  x: Floats, y: Floats, R: number, L: number, eps: number, weight: Floats | null, bias: Floats | null,
  mean: Float64Array, invstd: Float64Array,
): void {
  runsForward(x, y, R, L, contiguous(L), elementwise, eps, weight, bias, mean, invstd, null);
}

/**
 * Layer-norm gradients: dx = invstd * (g - mean(g) - xhat * mean(g * xhat)) per row with
 * g = dy * w; dweight = sum over rows of dy * xhat; dbias = sum over rows of dy. Any output may be null.
 */
export function referenceLayerNormBackward(
  dy: Floats, x: Floats, dx: Floats | null, R: number, L: number, weight: Floats | null,
  dweight: Floats | null, dbias: Floats | null, mean: Floats, invstd: Floats,
): void {
  runsBackward(dy, x, dx, R, L, contiguous(L), elementwise, L, weight, dweight, dbias, mean, invstd);
}

/**
 * Group norm of an (N, C, S) tensor (channelsLast: (N, S, C)): per (n, g) the mean / invstd (and biased variance
 * when `variance` is given) at index n * G + g; y per channel with weight[c] and bias[c].
 */
export function referenceGroupNorm(
  x: Floats, y: Floats, d: GroupDims, eps: number, weight: Floats | null, bias: Floats | null,
  mean: Float64Array, invstd: Float64Array, variance: Float64Array | null,
): void {
  runsForward(x, y, d.N * d.G, (d.C / d.G) * d.S, groupElement(d), perChannel(d), eps, weight, bias, mean, invstd, variance);
}

/** Group-norm gradients, as referenceLayerNormBackward with per-channel weights. */
export function referenceGroupNormBackward(
  dy: Floats, x: Floats, dx: Floats | null, d: GroupDims, weight: Floats | null,
  dweight: Floats | null, dbias: Floats | null, mean: Floats, invstd: Floats,
): void {
  runsBackward(dy, x, dx, d.N * d.G, (d.C / d.G) * d.S, groupElement(d), perChannel(d), d.C, weight, dweight, dbias, mean, invstd);
}
