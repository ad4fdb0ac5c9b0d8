// PyTorch rows: bench/torch_bench.py run by Debian's /usr/bin/python3 (python3-torch) in a
// child process, before the JS rows so the two never share the CPU. Without torch the rows
// are kept and say why they were not measured.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { OpName, Workload } from "../case.js";

/** Debian's python3 (with python3-torch); BENCH_PYTHON points elsewhere if needed. */
export const PYTHON = process.env.BENCH_PYTHON ?? "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("../torch_bench.py", import.meta.url));

export interface TorchRow {
  readonly label: string;
  readonly op: OpName;
  readonly samplesMs: number[];
}

export type TorchRun =
  | { readonly ok: true; readonly version: string; readonly threads: number; readonly rows: TorchRow[] }
  | { readonly ok: false; readonly reason: string };

/** Why torch cannot run here, or null when it can. */
export function torchUnavailable(): string | null {
  if (!existsSync(PYTHON)) return `not measured: ${PYTHON} not found (python3-torch not installed)`;
  const probe = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0) return `not measured: python3-torch not installed (${PYTHON} cannot import torch)`;
  return null;
}

export interface TorchRequest {
  readonly family: string;
  /** torch.set_num_threads. */
  readonly threads: number;
  readonly workloads: readonly Workload[];
  readonly ops: readonly OpName[];
  readonly budgetS: number;
  readonly minSamples: number;
  readonly warmupS: number;
}

export function runTorch(req: TorchRequest): TorchRun {
  const unavailable = torchUnavailable();
  if (unavailable) return { ok: false, reason: unavailable };
  const input = JSON.stringify({
    family: req.family,
    threads: req.threads,
    budget_s: req.budgetS,
    min_samples: req.minSamples,
    warmup_s: req.warmupS,
    workloads: req.workloads.map((w) => ({ label: w.label, shape: w.shape, layout: w.layout })),
    ops: req.ops,
  });
  const child = spawnSync(PYTHON, [SCRIPT], { input, encoding: "utf8", maxBuffer: 64 * 2 ** 20, stdio: ["pipe", "pipe", "inherit"] });
  if (child.status !== 0) return { ok: false, reason: `not measured: torch_bench.py failed (exit ${child.status ?? child.signal})` };
  const out = JSON.parse(child.stdout) as { torch: string; threads: number; rows: Array<{ label: string; op: OpName; samples_ms: number[] }> };
  return {
    ok: true,
    version: out.torch,
    threads: out.threads,
    rows: out.rows.map((r) => ({ label: r.label, op: r.op, samplesMs: r.samples_ms })),
  };
}
