// Percentiles of a set of values (Figure 1b and 1c plot the 15th, 50th and 85th of one
// sigmoid's input over a fixed batch).

/** The p-th percentile (0..100) with linear interpolation between order statistics (NumPy's default). */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) throw new Error("percentile: values must not be empty");
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile: p must be in [0, 100], got ${p}`);
  const sorted = Float64Array.from(values).sort();
  const at = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
}

export const FIGURE_PERCENTILES = [15, 50, 85] as const;

/** [p15, p50, p85] of values. */
export function figurePercentiles(values: ArrayLike<number>): [number, number, number] {
  const [a, b, c] = FIGURE_PERCENTILES.map((p) => percentile(values, p));
  return [a, b, c];
}
