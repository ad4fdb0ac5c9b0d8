// The pure-JS reference: the same batch-norm ops as the kernels, written straight from the
// definitions with float64 accumulation. It is the yardstick of the tests and of the
// benchmarks, and a backend of its own (see reference/backend.ts).

import type { Dims } from "../runtime/backend.js";

type Floats = Float32Array | Float64Array;

/** Calls visit(index) for every element of channel c, sample by sample. */
function forEachInChannel(d: Dims, c: number, visit: (i: number) => void): void {
  const { N, C, S, channelsLast } = d;
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) visit(channelsLast ? (n * S + s) * C + c : (n * C + c) * S + s);
  }
}

/** Per-channel mean and biased variance, two passes in float64. */
export function referenceChannelStats(x: Floats, d: Dims, mean: Float64Array, variance: Float64Array): void {
  const count = d.N * d.S;
  for (let c = 0; c < d.C; c++) {
    let sum = 0;
    forEachInChannel(d, c, (i) => (sum += x[i]));
    const m = sum / count;
    let sq = 0;
    forEachInChannel(d, c, (i) => (sq += (x[i] - m) * (x[i] - m)));
    mean[c] = m;
    variance[c] = sq / count;
  }
}

/** invstd[c] = 1 / sqrt(var[c] + eps). */
export function referenceInvstd(variance: Floats, eps: number, invstd: Float64Array): void {
  for (let c = 0; c < invstd.length; c++) invstd[c] = 1 / Math.sqrt(variance[c] + eps);
}

/** y = (x - mean) * invstd * weight + bias; weight / bias null mean 1 / 0. */
export function referenceApply(
  x: Floats, y: Floats, d: Dims, mean: Floats, invstd: Floats, weight: Floats | null, bias: Floats | null,
): void {
  for (let c = 0; c < d.C; c++) {
    const m = mean[c], k = invstd[c] * (weight ? weight[c] : 1), b = bias ? bias[c] : 0;
    forEachInChannel(d, c, (i) => (y[i] = (x[i] - m) * k + b));
  }
}

/** y = max(y, 0) in place, NaN kept: the ReLU of batchNormRelu. */
export function referenceRelu(y: Floats): void {
  for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = 0;
}

/**
 * out = dy where the forward's pre-activation (x - mean) * invstd * weight + bias is
 * positive, else 0: the gradient through batchNormRelu's ReLU.
 */
export function referenceReluMask(
  dy: Floats, x: Floats, d: Dims, mean: Floats, invstd: Floats, weight: Floats | null, bias: Floats | null, out: Floats,
): void {
  for (let c = 0; c < d.C; c++) {
    const m = mean[c], k = invstd[c] * (weight ? weight[c] : 1), b = bias ? bias[c] : 0;
    forEachInChannel(d, c, (i) => (out[i] = (x[i] - m) * k + b > 0 ? dy[i] : 0));
  }
}

/** sum(dy) and sum(dy * (x - mean)) per channel. */
export function referenceBackwardReduce(
  dy: Floats, x: Floats, d: Dims, mean: Floats, sumDy: Float64Array, sumDyXmu: Float64Array,
): void {
  for (let c = 0; c < d.C; c++) {
    let g = 0, h = 0;
    const m = mean[c];
    forEachInChannel(d, c, (i) => {
      g += dy[i];
      h += dy[i] * (x[i] - m);
    });
    sumDy[c] = g;
    sumDyXmu[c] = h;
  }
}

/**
 * dx. training: dx = w * invstd * (dy - sumDy / m - (x - mean) * invstd^2 * sumDyXmu / m);
 * frozen statistics: dx = w * invstd * dy.
 */
export function referenceBackwardElemt(
  dy: Floats, x: Floats, dx: Floats, d: Dims, training: boolean, mean: Floats, invstd: Floats,
  weight: Floats | null, sumDy: Floats, sumDyXmu: Floats, count: number,
): void {
  for (let c = 0; c < d.C; c++) {
    const m = mean[c], k = invstd[c], a = k * (weight ? weight[c] : 1);
    const g = training ? sumDy[c] / count : 0;
    const h = training ? (k * k * sumDyXmu[c]) / count : 0;
    forEachInChannel(d, c, (i) => (dx[i] = a * (dy[i] - g - (x[i] - m) * h)));
  }
}

/** dweight = sum(dy * xhat) = sumDyXmu * invstd, dbias = sum(dy). */
export function referenceAffineGrads(
  sumDy: Floats, sumDyXmu: Floats, invstd: Floats, dweight: Floats | null, dbias: Floats | null,
): void {
  for (let c = 0; c < invstd.length; c++) {
    if (dweight) dweight[c] = sumDyXmu[c] * invstd[c];
    if (dbias) dbias[c] = sumDy[c];
  }
}
