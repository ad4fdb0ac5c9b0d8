// The shapes of DESIGN.md's performance contract, each in the layouts it has.
import type { Layout } from "../src/runtime/backend.js";
import type { Workload } from "./case.js";

export function workload(shape: readonly number[], layout: Layout): Workload {
  const dims = shape.join("x");
  const label = shape.length === 2 ? `${dims} 2-D` : `${dims} ${layout}`;
  return { shape: [...shape], layout, label, elements: shape.reduce((a, b) => a * b, 1) };
}

/** NCHW shapes are given as (N, C, H, W); their NHWC twin is (N, H, W, C). */
function bothLayouts(nchw: readonly number[]): Workload[] {
  const [n, c, ...spatial] = nchw;
  return [workload(nchw, "NCHW"), workload([n, ...spatial, c], "NHWC")];
}

export const DESIGN_WORKLOADS: readonly Workload[] = [
  ...bothLayouts([32, 64, 56, 56]),
  ...bothLayouts([64, 128, 56, 56]),
  ...bothLayouts([8, 32, 32, 32]),
  workload([256, 1024], "NCHW"),
  workload([4096, 512], "NCHW"),
];

/** Where target 5 (wrapper overhead under 5 microseconds) is measured. */
export const OVERHEAD_LABELS: readonly string[] = ["8x32x32x32 NCHW", "256x1024 2-D"];

/** Channels of a workload: the second axis (NCHW, 2-D) or the last (NHWC). */
export function channelsOf(w: Workload): number {
  return w.layout === "NHWC" && w.shape.length > 2 ? w.shape[w.shape.length - 1] : w.shape[1];
}
