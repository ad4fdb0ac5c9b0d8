// Instance norm, shared by the modules and the functional API. Each (sample, channel) plane
// is normalized by its own statistics: group norm with one channel per group. With tracked
// running statistics PyTorch (1.13) averages the per-instance mean and unbiased variance
// over the batch before the momentum update, and in eval mode normalizes every plane of a
// channel with the running statistics: exactly batch norm's inference, reused here.

import type { Dims, GroupDims } from "./backend.js";
import { describe, fail } from "./checks.js";

/** Geometry of an instance-norm input; unbatched input (C, *spatial) is one sample. */
export interface InstanceDims {
  readonly group: GroupDims;
  /** The same tensor seen as batch norm sees it (for the running-statistics path). */
  readonly channels: Dims;
}

/**
 * N, C, S of x. spatialRank: 1, 2, 3 for the modules (batched or unbatched input accepted,
 * as PyTorch), null for the functional API ((N, C, *) of rank >= 2).
 */
export function instanceDims(where: string, shape: readonly number[], spatialRank: number | null, numFeatures: number | null): InstanceDims {
  let batched = true;
  if (spatialRank !== null) {
    const full = spatialRank + 2;
    if (shape.length !== full && shape.length !== full - 1) {
      const axes = ["D", "H", "W"].slice(3 - spatialRank);
      if (spatialRank === 1) axes[0] = "L";
      fail(where, `expected ${full - 1}-D input (C, ${axes.join(", ")}) or ${full}-D input (N, C, ${axes.join(", ")}), got x of shape ${describe(shape)}`);
    }
    batched = shape.length === full;
  } else if (shape.length < 2) {
    fail(where, `expected input of shape (N, C, *) with at least 2 dimensions, got x of shape ${describe(shape)}`);
  }
  const N = batched ? shape[0] : 1;
  const C = shape[batched ? 1 : 0];
  let S = 1;
  for (let i = batched ? 2 : 1; i < shape.length; i++) S *= shape[i];
  if (numFeatures !== null && C !== numFeatures) {
    fail(where, `expected ${numFeatures} channels (C in (${batched ? "N, " : ""}C, *)), got ${C} in shape ${describe(shape)}`);
  }
  return { group: { N, C, S, G: C }, channels: { N, C, S, channelsLast: false } };
}

/** PyTorch's check when the input's own statistics are used. */
export function checkSpatialSize(where: string, d: InstanceDims, shape: readonly number[]): void {
  if (d.group.S === 1) {
    fail(where, `expected more than 1 spatial element when training, got x of shape ${describe(shape)}`);
  }
}

/**
 * running = (1 - momentum) * running + momentum * batch, where the batch values are the
 * per-instance means and unbiased variances averaged over the samples (f64 N * C in).
 */
export function updateInstanceRunningStats(
  d: GroupDims, mean: Float64Array, variance: Float64Array, runningMean: Float32Array, runningVar: Float32Array, momentum: number,
): void {
  const { N, C, S } = d;
  const unbias = S / (S - 1);
  for (let c = 0; c < C; c++) {
    let m = 0, v = 0;
    for (let n = 0; n < N; n++) {
      m += mean[n * C + c];
      v += variance[n * C + c];
    }
    runningMean[c] = (1 - momentum) * runningMean[c] + momentum * (m / N);
    runningVar[c] = (1 - momentum) * runningVar[c] + momentum * (v / N) * unbias;
  }
}
