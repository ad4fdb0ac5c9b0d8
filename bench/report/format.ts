// Number formats shared by the table, the README and the chart.

/** Milliseconds with about three significant digits. */
export function ms(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

/** A ratio such as 1.42x or 120x. */
export function times(v: number): string {
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}x`;
}

/** PyTorch's time over ours as "2.1x faster" or "3.4x slower". */
export function versus(speedup: number): string {
  return speedup >= 1 ? `${times(speedup)} faster` : `${times(1 / speedup)} slower`;
}
