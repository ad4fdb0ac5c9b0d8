// Effective bandwidth (DESIGN's performance contract: each row next to the copy's): the
// bytes an op must move at the least, over its median. The copy, a training or inference
// forward read x and write y: twice x's bytes. Training forward + backward also reads x and
// dy again and writes dx: five times. An op of two input tensors (the residual add + norm:
// x and residual in, y and sum out) moves each figure twice. Per-channel parameters and statistics are left out
// (at most a few KiB), and so is anything an implementation moves beyond that (a second
// pass, staging copies): that is what the figure shows against the copy's.
import type { RowResult } from "../results.js";

export const TRAFFIC: Record<RowResult["op"], number> = { copy: 2, train: 2, infer: 2, trainBackward: 5 };

/** Bytes the row's op must read and write at the least. */
export function trafficBytes(r: Pick<RowResult, "shape" | "op" | "tensors">): number {
  return TRAFFIC[r.op] * (r.tensors ?? 1) * 4 * r.shape.reduce((a, b) => a * b, 1);
}

/** Rows that move no tensor data by design: the wrapper alone, on kernels that do nothing. */
const NO_TRAFFIC: ReadonlySet<string> = new Set(["simd-wrapper"]);

/** GB/s (1e9 bytes per second) of the row's median, or undefined if not measured (or not meaningful). */
export function effectiveGBps(r: RowResult): number | undefined {
  return r.stats && !NO_TRAFFIC.has(r.impl) ? trafficBytes(r) / (r.stats.median * 1e6) : undefined;
}

/** "18.4" (three significant digits, at most one decimal above 10). */
export function gbps(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}
