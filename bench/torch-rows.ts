// The PyTorch rows of a family's planned workloads: run torch_bench.py once for all of
// them, then one RowResult per workload and op (measured, or saying why not).
import { OP_NAMES, rowId, type OpName } from "./case.js";
import type { Family } from "./families/family.js";
import { FULL, QUICK } from "./measure.js";
import { matchesFilters, type Options } from "./options.js";
import type { PlannedWorkload } from "./plan.js";
import type { Report, RowResult } from "./results.js";
import { baseRow } from "./rows.js";
import { summarize } from "./stats.js";
import { runTorch, type TorchRun } from "./runners/torch.js";

export interface TorchOutcome {
  readonly rows: RowResult[];
  readonly info: Report["torch"];
  readonly version: string | null;
}

export function torchRows(family: Family, plan: readonly PlannedWorkload[], options: Options): TorchOutcome {
  const wanted = plan.filter((p) => p.torch);
  const familyOps = family.ops ?? OP_NAMES;
  const isWanted = (p: PlannedWorkload, op: OpName) => matchesFilters(options, rowId(family.name, p.w, op, "torch"));
  let torch: TorchRun;
  if (!options.torch) torch = { ok: false, reason: "not measured: --no-torch" };
  else if (family.torchName === null) torch = { ok: false, reason: `not measured: torch_bench.py has no ${family.name}` };
  else if (wanted.length === 0) torch = { ok: false, reason: "not measured: filtered out" };
  else {
    const ops = familyOps.filter((op) => wanted.some((p) => isWanted(p, op)));
    console.log(`\nPyTorch (${wanted.length} workloads x ${ops.length} ops, in a separate process, 1 thread)...`);
    const budget = options.quick ? QUICK : FULL;
    torch = runTorch({
      family: family.torchName, workloads: wanted.map((p) => p.w), ops,
      budgetS: budget.timeMs / 1000, minSamples: budget.minSamples, warmupS: budget.warmupMs / 1000,
    });
  }
  const rows: RowResult[] = [];
  for (const p of wanted) {
    for (const op of familyOps.filter((o) => isWanted(p, o))) {
      const base = baseRow({ id: rowId(family.name, p.w, op, "torch"), family: family.name, workload: p.w, op, impl: "torch" });
      if (!torch.ok) {
        rows.push({ ...base, status: "skipped", reason: torch.reason });
        continue;
      }
      const found = torch.rows.find((r) => r.label === p.w.label && r.op === op);
      rows.push(found
        ? { ...base, implLabel: `PyTorch ${torch.version}`, status: "measured", stats: summarize(found.samplesMs) }
        : { ...base, status: "failed", reason: "failed: torch_bench.py returned no figure" });
    }
  }
  return {
    rows,
    info: torch.ok ? { measured: true, threads: torch.threads } : { measured: false, reason: torch.reason },
    version: torch.ok ? torch.version : null,
  };
}
