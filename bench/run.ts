// `npm run bench`: every row of every family, side by side in one run, with PyTorch first
// (in its own process), then a table per workload as it completes, the wrapper overhead,
// and the results written out. See options.ts for the flags.
import { createRequire } from "node:module";
import os from "node:os";
import { createBackend } from "../src/wasm-backend.js";
import { OP_NAMES, rowId, type Case, type OpName, type Prepared, type Workload } from "./case.js";
import { FAMILIES } from "./families/index.js";
import type { BenchContext, Family } from "./families/family.js";
import { implementation } from "./implementations.js";
import { describeMachine, loadWarning, machineLine } from "./machine.js";
import { FULL, QUICK, measure, measureSamples } from "./measure.js";
import { matchesFilters, parseOptions, type Options } from "./options.js";
import { pairedOverhead } from "./overhead.js";
import { summarize } from "./stats.js";
import { relate, type OverheadResult, type Report, type RowResult } from "./results.js";
import { overheadTable, workloadTable } from "./report/table.js";
import { writeOutputs } from "./report/write.js";
import { runTorch, type TorchRun } from "./runners/torch.js";
import { OVERHEAD_LABELS } from "./workloads.js";

/** --quick: the small workloads only. */
const QUICK_LABELS = ["8x32x32x32 NCHW", "8x32x32x32 NHWC", "256x1024 2-D"];
/**
 * Above this TF.js cpu takes tens of seconds to minutes per call (the 56x56 shapes): those
 * rows are listed as not measured unless --all, to keep a full run within minutes.
 */
const TFJS_CPU_MAX_ELEMENTS = 4_000_000;

function skipReason(c: Case, options: Options): string | undefined {
  if (c.impl === "tfjs-cpu" && c.workload.elements > TFJS_CPU_MAX_ELEMENTS && !options.all) {
    return "not measured by default: tens of seconds per call (pass --all)";
  }
  return c.skip;
}

function baseRow(c: Pick<Case, "id" | "family" | "workload" | "op" | "impl">): Omit<RowResult, "status"> {
  return {
    id: c.id, family: c.family, workload: c.workload.label, shape: [...c.workload.shape], layout: c.workload.layout,
    op: c.op, impl: c.impl, implLabel: implementation(c.impl).label,
  };
}

async function measureCase(c: Case, options: Options): Promise<RowResult> {
  const skip = skipReason(c, options);
  if (skip) return { ...baseRow(c), status: "skipped", reason: skip };
  const budget = options.quick ? QUICK : FULL;
  let prepared;
  try {
    prepared = await c.prepare();
    const stats = await measure(prepared, c.pace, budget);
    return { ...baseRow(c), status: "measured", stats };
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0].slice(0, 200) : String(error);
    return { ...baseRow(c), status: "failed", reason: `failed: ${message}` };
  } finally {
    prepared?.dispose();
  }
}

/**
 * The floor of a workload, sampled before its rows and after each op's rows, pooled: one
 * figure that spans the time the rows were measured in, on a machine whose load drifts.
 */
async function measureFloor(c: Case, options: Options, rowsBetween: (sample: () => Promise<void>) => Promise<void>): Promise<RowResult> {
  const budget = options.quick ? QUICK : FULL;
  const samples: number[] = [];
  let prepared: Prepared | undefined;
  let failure: string | undefined;
  try {
    prepared = await c.prepare();
  } catch (error) {
    failure = `failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  const sample = async () => {
    if (prepared) samples.push(...(await measureSamples(prepared, "fast", budget)));
  };
  try {
    await sample();
    await rowsBetween(sample);
  } finally {
    prepared?.dispose();
  }
  if (failure || samples.length === 0) return { ...baseRow(c), status: "failed", reason: failure ?? "failed: no samples" };
  return { ...baseRow(c), status: "measured", stats: summarize(samples) };
}

function torchRows(family: Family, plan: ReadonlyArray<{ w: Workload }>, options: Options, torch: TorchRun): RowResult[] {
  const rows: RowResult[] = [];
  for (const { w } of plan) {
    for (const op of OP_NAMES) {
      const base = baseRow({ id: rowId(family.name, w, op, "torch"), family: family.name, workload: w, op, impl: "torch" });
      if (!matchesFilters(options, base.id)) continue;
      if (!torch.ok) {
        rows.push({ ...base, status: "skipped", reason: torch.reason });
        continue;
      }
      const found = torch.rows.find((r) => r.label === w.label && r.op === op);
      rows.push(found
        ? { ...base, implLabel: `PyTorch ${torch.version}`, status: "measured", stats: summarize(found.samplesMs) }
        : { ...base, status: "failed", reason: "failed: torch_bench.py returned no figure" });
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const machine = describeMachine();
  console.log(`batchnorm-wasm bench (${options.quick ? "quick" : "full"}${options.filters.length ? `, filter ${options.filters.map((f) => JSON.stringify(f)).join(" ")}` : ""})`);
  console.log(`${machineLine(machine)}; commit ${machine.commit}; load ${machine.loadAverage.join(" ")}`);
  const warning = loadWarning();
  if (warning) console.log(warning);

  const ctx: BenchContext = {
    simd: createBackend({ simd: true }),
    scalar: createBackend({ simd: false }),
    overheadLabels: OVERHEAD_LABELS,
  };
  const rows: RowResult[] = [];
  const overhead: OverheadResult[] = [];
  let torchInfo: Report["torch"] = { measured: false, reason: "not run" };
  let torchVersion: string | null = null;

  for (const family of FAMILIES) {
    const workloads = family.workloads.filter((w) => !options.quick || QUICK_LABELS.includes(w.label));
    // A workload runs when any of its rows matches the filters; its floor always runs then.
    const plan = workloads
      .map((w) => ({ w, cases: family.cases(w, ctx) }))
      .map(({ w, cases }) => ({ w, cases: cases.filter((c) => c.op === "copy" || matchesFilters(options, c.id)) }))
      .filter(({ w, cases }) => cases.length > 1 || OP_NAMES.some((op) => matchesFilters(options, rowId(family.name, w, op, "torch"))));

    let torch: TorchRun = { ok: false, reason: "not measured: --no-torch" };
    if (family.torchName === null) torch = { ok: false, reason: `not measured: torch_bench.py has no ${family.name}` };
    else if (options.torch) {
      const wanted = plan.filter(({ w }) => OP_NAMES.some((op) => matchesFilters(options, rowId(family.name, w, op, "torch"))));
      if (wanted.length > 0) {
        const ops = OP_NAMES.filter((op) => wanted.some(({ w }) => matchesFilters(options, rowId(family.name, w, op, "torch"))));
        console.log(`\nPyTorch (${wanted.length} workloads x ${ops.length} ops, in a separate process, 1 thread)...`);
        const budget = options.quick ? QUICK : FULL;
        torch = runTorch({
          family: family.torchName, workloads: wanted.map((p) => p.w), ops,
          budgetS: budget.timeMs / 1000, minSamples: budget.minSamples, warmupS: budget.warmupMs / 1000,
        });
        if (torch.ok) torchVersion = torch.version;
        torchInfo = torch.ok ? { measured: true, threads: torch.threads } : { measured: false, reason: torch.reason };
      }
    }
    const fromTorch = torchRows(family, plan, options, torch);
    if (!options.torch) torchInfo = { measured: false, reason: "not measured: --no-torch" };

    for (const { w, cases } of plan) {
      const floorCase = cases.find((c) => c.op === "copy")!;
      const group: RowResult[] = [];
      const floor = await measureFloor(floorCase, options, async (sampleFloor) => {
        for (const op of OP_NAMES) {
          for (const c of cases.filter((k) => k.op === op)) group.push(await measureCase(c, options));
          await sampleFloor();
        }
      });
      group.unshift(floor);
      group.push(...fromTorch.filter((r) => r.workload === w.label));
      relate(group);
      rows.push(...group);
      console.log(workloadTable(group));
    }

    for (const { w, cases } of plan.filter((p) => OVERHEAD_LABELS.includes(p.w.label))) {
      for (const op of OP_NAMES) {
        const pair = ["simd-tensor", "simd-raw"].map((impl) => cases.find((c) => c.op === op && c.impl === impl));
        if (!pair[0] || !pair[1]) continue;
        const [module, raw] = await Promise.all(pair.map((c) => c!.prepare()));
        try {
          overhead.push({ workload: w.label, op: op as OpName, stats: pairedOverhead(module, raw, options.quick ? 400 : 4000) });
        } finally {
          module.dispose();
          raw.dispose();
        }
      }
    }
  }
  console.log(overheadTable(overhead));

  const end = os.loadavg().map((v) => Math.round(v * 100) / 100);
  const report: Report = {
    generatedBy: "npm run bench",
    mode: options.quick ? "quick" : "full",
    filters: [...options.filters],
    machine,
    durationS: Math.round((performance.now() - started) / 100) / 10,
    loadAverageEnd: end,
    versions: { tfjs: createRequire(import.meta.url)("@tensorflow/tfjs-core/package.json").version as string, torch: torchVersion, wasmBuilds: [ctx.simd.kind, ctx.scalar.kind] },
    torch: torchInfo,
    rows,
    overhead,
  };
  const written = writeOutputs(report, options.publish);
  const after = loadWarning();
  if (after) console.log(`\n${after} (at the end of the run)`);
  console.log(`\ndone in ${report.durationS} s; wrote ${written.join(", ")}`);
}

await main();
