// Which workloads and rows of a family this run measures, from --quick and --filter.
import { OP_NAMES, rowId, type Case, type Workload } from "./case.js";
import { TORCH_COLUMNS } from "./torch-rows.js";
import type { BenchContext, Family } from "./families/family.js";
import { matchesFilters, type Options } from "./options.js";

/** --quick: the small workloads only. */
export const QUICK_LABELS: readonly string[] = ["8x32x32x32 NCHW", "8x32x32x32 NHWC", "256x1024 2-D"];

export interface PlannedWorkload {
  readonly w: Workload;
  /** The floor first, then the rows that match the filters. */
  readonly cases: readonly Case[];
  /** Whether the PyTorch rows of this workload are wanted. */
  readonly torch: boolean;
}

/** A workload runs when any of its rows matches the filters; its floor always runs then. */
export function planFamily(family: Family, ctx: BenchContext, options: Options): PlannedWorkload[] {
  return family.workloads
    .filter((w) => !options.quick || QUICK_LABELS.includes(w.label))
    .map((w) => ({
      w,
      cases: family.cases(w, ctx).filter((c) => c.op === "copy" || matchesFilters(options, c.id)),
      torch: TORCH_COLUMNS.some((t) => OP_NAMES.some((op) => matchesFilters(options, rowId(family.name, w, op, t.impl)))),
    }))
    .filter((p) => p.cases.length > 1 || p.torch);
}
