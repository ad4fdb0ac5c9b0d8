// The pure-JS reference of the normalization family, straight from the definitions with
// float64 accumulation: layer norm over rows of L contiguous values, group norm (and
// instance norm, G = C) over channels-second (N, C, S) tensors.

import type { GroupDims } from "../runtime/backend.js";

type Floats = Float32Array | Float64Array;

/** Mean and 1 / sqrt(biased var + eps) of x[start .. start + L), two passes in float64. */
function moments(x: Floats, start: number, L: number, eps: number): { mean: number; variance: number; invstd: number } {
  let sum = 0;
  for (let i = start; i < start + L; i++) sum += x[i];
  const mean = sum / L;
  let sq = 0;
  for (let i = start; i < start + L; i++) sq += (x[i] - mean) * (x[i] - mean);
  const variance = sq / L;
  return { mean, variance, invstd: 1 / Math.sqrt(variance + eps) };
}

/**
 * Both ops are runs of L contiguous values, each normalized by its own statistics; they
 * differ in which parameter an element takes: `param(r, i)` for element i of run r.
 */
type ParamIndex = (r: number, i: number) => number;

function runsForward(
  x: Floats, y: Floats, runs: number, L: number, param: ParamIndex, eps: number, weight: Floats | null, bias: Floats | null,
  mean: Float64Array, invstd: Float64Array, variance: Float64Array | null,
): void {
  for (let r = 0; r < runs; r++) {
    const base = r * L;
    const m = moments(x, base, L, eps);
    mean[r] = m.mean;
    invstd[r] = m.invstd;
    if (variance) variance[r] = m.variance;
    for (let i = 0; i < L; i++) {
      const p = param(r, i);
      y[base + i] = (x[base + i] - m.mean) * m.invstd * (weight ? weight[p] : 1) + (bias ? bias[p] : 0);
    }
  }
}

/** dx = invstd * (g - mean(g) - xhat * mean(g * xhat)) per run with g = dy * w; dweight, dbias summed per parameter. */
function runsBackward(
  dy: Floats, x: Floats, dx: Floats | null, runs: number, L: number, param: ParamIndex, P: number, weight: Floats | null,
  dweight: Floats | null, dbias: Floats | null, mean: Floats, invstd: Floats,
): void {
  const dw = new Float64Array(P), db = new Float64Array(P);
  for (let r = 0; r < runs; r++) {
    const base = r * L, m = mean[r], k = invstd[r];
    let sg = 0, sgx = 0;
    for (let i = 0; i < L; i++) {
      const p = param(r, i);
      const xhat = (x[base + i] - m) * k;
      const g = dy[base + i] * (weight ? weight[p] : 1);
      sg += g;
      sgx += g * xhat;
      dw[p] += dy[base + i] * xhat;
      db[p] += dy[base + i];
    }
    if (!dx) continue;
    for (let i = 0; i < L; i++) {
      const xhat = (x[base + i] - m) * k;
      dx[base + i] = k * (dy[base + i] * (weight ? weight[param(r, i)] : 1) - sg / L - (xhat * sgx) / L);
    }
  }
  if (dweight) dweight.set(dw);
  if (dbias) dbias.set(db);
}

/** Element i of a row takes parameter i. */
const elementwise: ParamIndex = (_r, i) => i;
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
  runsForward(x, y, R, L, elementwise, eps, weight, bias, mean, invstd, null);
}

/**
 * Layer-norm gradients: dx = invstd * (g - mean(g) - xhat * mean(g * xhat)) per row with
 * g = dy * w; dweight = sum over rows of dy * xhat; dbias = sum over rows of dy. Any output may be null.
 */
export function referenceLayerNormBackward(
  dy: Floats, x: Floats, dx: Floats | null, R: number, L: number, weight: Floats | null,
  dweight: Floats | null, dbias: Floats | null, mean: Floats, invstd: Floats,
): void {
  runsBackward(dy, x, dx, R, L, elementwise, L, weight, dweight, dbias, mean, invstd);
}

/**
 * Group norm of a channels-second tensor: per (n, g) the mean / invstd (and biased variance
 * when `variance` is given) at index n * G + g; y per channel with weight[c] and bias[c].
 */
export function referenceGroupNorm(
  x: Floats, y: Floats, d: GroupDims, eps: number, weight: Floats | null, bias: Floats | null,
  mean: Float64Array, invstd: Float64Array, variance: Float64Array | null,
): void {
  runsForward(x, y, d.N * d.G, (d.C / d.G) * d.S, perChannel(d), eps, weight, bias, mean, invstd, variance);
}

/** Group-norm gradients, as referenceLayerNormBackward with per-channel weights. */
export function referenceGroupNormBackward(
  dy: Floats, x: Floats, dx: Floats | null, d: GroupDims, weight: Floats | null,
  dweight: Floats | null, dbias: Floats | null, mean: Floats, invstd: Floats,
): void {
  runsBackward(dy, x, dx, d.N * d.G, (d.C / d.G) * d.S, perChannel(d), d.C, weight, dweight, dbias, mean, invstd);
}
