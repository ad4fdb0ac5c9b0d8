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

/** y[r, i] = (x[r, i] - mean[r]) * invstd[r] * w[i] + b[i]; fills mean / invstd (R each). */
export function referenceLayerNorm(
  x: Floats, y: Floats, R: number, L: number, eps: number, weight: Floats | null, bias: Floats | null,
  mean: Float64Array, invstd: Float64Array,
): void {
  for (let r = 0; r < R; r++) {
    const base = r * L;
    const m = moments(x, base, L, eps);
    mean[r] = m.mean;
    invstd[r] = m.invstd;
    for (let i = 0; i < L; i++) {
      y[base + i] = (x[base + i] - m.mean) * m.invstd * (weight ? weight[i] : 1) + (bias ? bias[i] : 0);
    }
  }
}

/**
 * Layer-norm gradients: dx = invstd * (g - mean(g) - xhat * mean(g * xhat)) per row with
 * g = dy * w; dweight = sum over rows of dy * xhat; dbias = sum over rows of dy. Any output may be null.
 */
export function referenceLayerNormBackward(
  dy: Floats, x: Floats, dx: Floats | null, R: number, L: number, weight: Floats | null,
  dweight: Floats | null, dbias: Floats | null, mean: Floats, invstd: Floats,
): void {
  const dw = new Float64Array(L), db = new Float64Array(L);
  for (let r = 0; r < R; r++) {
    const base = r * L, m = mean[r], k = invstd[r];
    let sg = 0, sgx = 0;
    for (let i = 0; i < L; i++) {
      const xhat = (x[base + i] - m) * k;
      const g = dy[base + i] * (weight ? weight[i] : 1);
      sg += g;
      sgx += g * xhat;
      dw[i] += dy[base + i] * xhat;
      db[i] += dy[base + i];
    }
    if (!dx) continue;
    for (let i = 0; i < L; i++) {
      const xhat = (x[base + i] - m) * k;
      const g = dy[base + i] * (weight ? weight[i] : 1);
      dx[base + i] = k * (g - sg / L - (xhat * sgx) / L);
    }
  }
  if (dweight) dweight.set(dw);
  if (dbias) dbias.set(db);
}

/**
 * Group norm of a channels-second tensor: per (n, g) the mean / invstd (and biased variance
 * when `variance` is given) at index n * G + g; y per channel with weight[c] and bias[c].
 */
export function referenceGroupNorm(
  x: Floats, y: Floats, d: GroupDims, eps: number, weight: Floats | null, bias: Floats | null,
  mean: Float64Array, invstd: Float64Array, variance: Float64Array | null,
): void {
  const { N, C, S, G } = d;
  const Cg = C / G, L = Cg * S;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const r = n * G + g, base = (n * C + g * Cg) * S;
      const m = moments(x, base, L, eps);
      mean[r] = m.mean;
      invstd[r] = m.invstd;
      if (variance) variance[r] = m.variance;
      for (let i = 0; i < L; i++) {
        const c = g * Cg + Math.floor(i / S);
        y[base + i] = (x[base + i] - m.mean) * m.invstd * (weight ? weight[c] : 1) + (bias ? bias[c] : 0);
      }
    }
  }
}

/** Group-norm gradients, as referenceLayerNormBackward with per-channel weights. */
export function referenceGroupNormBackward(
  dy: Floats, x: Floats, dx: Floats | null, d: GroupDims, weight: Floats | null,
  dweight: Floats | null, dbias: Floats | null, mean: Floats, invstd: Floats,
): void {
  const { N, C, S, G } = d;
  const Cg = C / G, L = Cg * S;
  const dw = new Float64Array(C), db = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const r = n * G + g, base = (n * C + g * Cg) * S, m = mean[r], k = invstd[r];
      let sg = 0, sgx = 0;
      for (let i = 0; i < L; i++) {
        const c = g * Cg + Math.floor(i / S);
        const xhat = (x[base + i] - m) * k;
        const gi = dy[base + i] * (weight ? weight[c] : 1);
        sg += gi;
        sgx += gi * xhat;
        dw[c] += dy[base + i] * xhat;
        db[c] += dy[base + i];
      }
      if (!dx) continue;
      for (let i = 0; i < L; i++) {
        const c = g * Cg + Math.floor(i / S);
        const xhat = (x[base + i] - m) * k;
        dx[base + i] = k * (dy[base + i] * (weight ? weight[c] : 1) - sg / L - (xhat * sgx) / L);
      }
    }
  }
  if (dweight) dweight.set(dw);
  if (dbias) dbias.set(db);
}
