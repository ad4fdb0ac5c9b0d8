// The PyTorch rows of a family's planned workloads: torch_bench.py run once per thread count
// for all of them (one thread: the `torch` column; two threads: `torch2`, the anchor of the
// two-thread rows, training ops only as those rows are), then one RowResult per workload, op
// and thread count (measured, or saying why not).
import { OP_NAMES, rowId, type OpName } from "./case.js";
import type { Family } from "./families/family.js";
import { FULL, QUICK } from "./measure.js";
import { matchesFilters, type Options } from "./options.js";
import type { PlannedWorkload } from "./plan.js";
import type { Report, RowResult } from "./results.js";
import { baseRow } from "./rows.js";
import { summarize } from "./stats.js";
import { runTorch, type TorchRun } from "./runners/torch.js";

/** The PyTorch columns: implementation key, torch.set_num_threads, the ops it is measured on. */
export const TORCH_COLUMNS: readonly { impl: string; threads: number; ops: readonly OpName[] }[] = [
  { impl: "torch", threads: 1, ops: OP_NAMES },
  { impl: "torch2", threads: 2, ops: ["train", "trainBackward"] },
];

export interface TorchOutcome {
  readonly rows: RowResult[];
  readonly info: Report["torch"];
  readonly version: string | null;
}

export function torchRows(family: Family, plan: readonly PlannedWorkload[], options: Options): TorchOutcome {
  const rows: RowResult[] = [];
  let info: Report["torch"] = { measured: false, reason: "not run" };
  let version: string | null = null;
  for (const column of TORCH_COLUMNS) {
    const familyOps = (family.ops ?? OP_NAMES).filter((op) => column.ops.includes(op));
    const isWanted = (p: PlannedWorkload, op: OpName) => matchesFilters(options, rowId(family.name, p.w, op, column.impl));
    const wanted = plan.filter((p) => p.torch && familyOps.some((op) => isWanted(p, op)));
    let torch: TorchRun;
    if (!options.torch) torch = { ok: false, reason: "not measured: --no-torch" };
    else if (family.torchName === null) torch = { ok: false, reason: `not measured: torch_bench.py has no ${family.name}` };
    else if (wanted.length === 0) torch = { ok: false, reason: "not measured: filtered out" };
    else {
      const ops = familyOps.filter((op) => wanted.some((p) => isWanted(p, op)));
      const threads = `${column.threads} thread${column.threads > 1 ? "s" : ""}`;
      console.log(`\nPyTorch (${wanted.length} workloads x ${ops.length} ops, in a separate process, ${threads})...`);
      const budget = options.quick ? QUICK : FULL;
      torch = runTorch({
        family: family.torchName, threads: column.threads, workloads: wanted.map((p) => p.w), ops,
        budgetS: budget.timeMs / 1000, minSamples: budget.minSamples, warmupS: budget.warmupMs / 1000,
      });
    }
    for (const p of wanted) {
      for (const op of familyOps.filter((o) => isWanted(p, o))) {
        const base = baseRow({ id: rowId(family.name, p.w, op, column.impl), family: family.name, workload: p.w, op, impl: column.impl });
        if (!torch.ok) {
          rows.push({ ...base, status: "skipped", reason: torch.reason });
          continue;
        }
        const found = torch.rows.find((r) => r.label === p.w.label && r.op === op);
        const label = `PyTorch ${torch.version}${column.threads > 1 ? `, ${column.threads} threads` : ""}`;
        rows.push(found
          ? { ...base, implLabel: label, status: "measured", stats: summarize(found.samplesMs) }
          : { ...base, status: "failed", reason: "failed: torch_bench.py returned no figure" });
      }
    }
    // The report's torch line describes the one-thread column; the two-thread rows say so in their label.
    if (column.threads === 1 || !info.measured) {
      info = torch.ok ? { measured: true, threads: torch.threads } : { measured: false, reason: torch.reason };
      version = torch.ok ? torch.version : version;
    }
  }
  return { rows, info, version };
}
