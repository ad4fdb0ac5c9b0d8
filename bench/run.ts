// `npm run bench`: every row of every family side by side in one run. PyTorch goes first
// (its own process, never sharing the CPU with the JS rows), then each workload's rows with
// its floor, a table per workload as it completes, the wrapper overhead, and the outputs
// (report/write.ts). Flags: options.ts.
import { createRequire } from "node:module";
import os from "node:os";
import { createBackend } from "../src/runtime/wasm-backend.js";
import { createThreadedBackend } from "../src/runtime/threads/threaded-backend.js";
import { wrapperOnly } from "./runners/wrapper-only.js";
import { OP_NAMES } from "./case.js";
import { FAMILIES } from "./families/index.js";
import type { BenchContext } from "./families/family.js";
import { describeMachine, loadWarning, machineLine } from "./machine.js";
import { parseOptions } from "./options.js";
import { measureOverheads } from "./overhead.js";
import { planFamily } from "./plan.js";
import { relate, type OverheadResult, type Report, type RowResult } from "./results.js";
import { overheadTable, workloadTable } from "./report/table.js";
import { writeOutputs } from "./report/write.js";
import { measureCase, measureFloor } from "./rows.js";
import { checkTargets, targetsText } from "./targets.js";
import { torchRows } from "./torch-rows.js";
import { OVERHEAD_LABELS } from "./workloads.js";

const options = parseOptions(process.argv.slice(2));
const started = performance.now();
const machine = describeMachine();
const filters = options.filters.length ? `, filter ${options.filters.map((f) => JSON.stringify(f)).join(" ")}` : "";
console.log(`batchnorm-wasm bench (${options.quick ? "quick" : "full"}${filters})`);
console.log(`${machineLine(machine)}; commit ${machine.commit}; load ${machine.loadAverage.join(" ")}`);
const warning = loadWarning();
if (warning) console.log(warning);

const simd = createBackend({ simd: true });
const threads2 = await createThreadedBackend({ threads: 2, simd: true });
if (threads2.info.fallback) console.log(`two-thread rows on one thread: ${threads2.info.fallback}`);
const ctx: BenchContext = {
  simd, scalar: createBackend({ simd: false }), wrapperOnly: wrapperOnly(simd), threads2, overheadLabels: OVERHEAD_LABELS,
};
const rows: RowResult[] = [];
const overhead: OverheadResult[] = [];
const torchInfos: Report["torch"][] = [];
let torchVersion: string | null = null;

for (const family of FAMILIES) {
  const plan = planFamily(family, ctx, options);
  const torch = torchRows(family, plan, options);
  torchInfos.push(torch.info);
  torchVersion ??= torch.version;
  for (const { w, cases } of plan) {
    const group: RowResult[] = [];
    const floorCase = cases.find((c) => c.op === "copy")!;
    const floor = await measureFloor(floorCase, options, async (sampleFloor) => {
      for (const op of OP_NAMES) {
        for (const c of cases.filter((k) => k.op === op)) group.push(await measureCase(c, options));
        await sampleFloor();
      }
    });
    group.unshift(floor);
    group.push(...torch.rows.filter((r) => r.workload === w.label));
    relate(group);
    rows.push(...group);
    console.log(workloadTable(group));
  }
  overhead.push(...(await measureOverheads(plan, options.quick ? 400 : 4000)));
}
if (overhead.length > 0) console.log(overheadTable(overhead));

const report: Report = {
  generatedBy: "npm run bench",
  mode: options.quick ? "quick" : "full",
  filters: [...options.filters],
  args: process.argv.slice(2),
  machine,
  durationS: Math.round((performance.now() - started) / 100) / 10,
  loadAverageEnd: os.loadavg().map((v) => Math.round(v * 100) / 100),
  versions: {
    tfjs: createRequire(import.meta.url)("@tensorflow/tfjs-core/package.json").version as string,
    torch: torchVersion,
    wasmBuilds: [ctx.simd.kind, ctx.scalar.kind],
  },
  // The report's PyTorch line: the first family PyTorch measured (the CNN epoch, which it has no rows for, comes last).
  torch: torchInfos.find((i) => i.measured) ?? torchInfos[0] ?? { measured: false, reason: "not run" },
  rows,
  overhead,
  targets: checkTargets(rows, overhead),
};
if (report.targets.length > 0) console.log(targetsText(report.targets));
const written = writeOutputs(report, options.publish);
const after = loadWarning();
if (after) console.log(`\n${after} (at the end of the run)`);
console.log(`\ndone in ${report.durationS} s; wrote ${written.join(", ")}`);
