// The run's figures as data: what the tables, the chart, docs/speed.md, the README block and
// the raw results file (latest.json / partial.json, not committed) are made from.
import type { Layout } from "../src/runtime/backend.js";
import { IMPLEMENTATIONS } from "./implementations.js";
import type { OpName } from "./case.js";
import type { Machine } from "./machine.js";
import type { Summary } from "./stats.js";

export interface RowResult {
  id: string;
  family: string;
  workload: string;
  shape: number[];
  layout: Layout;
  /** Tensors of the shape the op reads, when more than x (the add + norm ops: x and a residual). */
  tensors?: number;
  op: OpName | "copy";
  impl: string;
  implLabel: string;
  status: "measured" | "skipped" | "failed";
  /** Why a row was not measured (skipped / failed). */
  reason?: string;
  /** Milliseconds per call. */
  stats?: Summary;
  /** median / median of the memory.copy floor of the same workload in this run. */
  ratioToCopy?: number;
  /** PyTorch's median at the row's thread count / this median (above 1: faster than PyTorch), where PyTorch was measured. */
  speedupVsTorch?: number;
}

export interface OverheadResult {
  workload: string;
  op: OpName;
  /** Microseconds per call of the wrapper alone (the module on a backend whose kernels do nothing). */
  stats: Summary;
}

export interface Report {
  generatedBy: "npm run bench";
  mode: "full" | "quick";
  filters: string[];
  /** The command-line arguments after `npm run bench --`. */
  args: string[];
  machine: Machine;
  durationS: number;
  loadAverageEnd: number[];
  versions: { tfjs: string; torch: string | null; wasmBuilds: string[] };
  torch: { measured: boolean; reason?: string; threads?: number };
  rows: RowResult[];
  overhead: OverheadResult[];
  /** Issue 3's targets checked on this run (targets.ts). */
  targets: import("./targets.js").TargetCheck[];
}

const isTorch = (impl: string) => impl === "torch" || impl === "torch2";
const threadsOf = (impl: string) => IMPLEMENTATIONS.find((i) => i.key === impl)?.threads ?? 1;

/**
 * Fills ratioToCopy and speedupVsTorch from the floors and PyTorch rows of the same workload:
 * each row against PyTorch at its own thread count (the two-thread rows against torch2).
 */
export function relate(rows: RowResult[]): void {
  const floor = new Map<string, number>();
  const torch = new Map<string, number>();
  for (const r of rows) {
    if (r.status !== "measured" || !r.stats) continue;
    const key = `${r.family}|${r.workload}`;
    if (r.impl === "copy") floor.set(key, r.stats.median);
    if (isTorch(r.impl)) torch.set(`${key}|${r.op}|${threadsOf(r.impl)}`, r.stats.median);
  }
  for (const r of rows) {
    if (r.status !== "measured" || !r.stats) continue;
    const key = `${r.family}|${r.workload}`;
    const f = floor.get(key);
    if (f !== undefined) r.ratioToCopy = r.stats.median / f;
    const t = torch.get(`${key}|${r.op}|${threadsOf(r.impl)}`);
    if (t !== undefined && !isTorch(r.impl)) r.speedupVsTorch = t / r.stats.median;
  }
}
