// Robust summaries of timing samples (milliseconds): the median, the quartiles and the
// median absolute deviation. A shared machine makes means misleading.

export interface Summary {
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  /** Median absolute deviation from the median. */
  readonly mad: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/** Linear interpolation between closest ranks of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error("quantile of no samples");
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const deviations = sorted.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
  return {
    median,
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
    mad: quantile(deviations, 0.5),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    n: sorted.length,
  };
}
