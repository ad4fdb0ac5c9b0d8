// The README's headline table, between <!-- bench:start --> and <!-- bench:end -->.
import { OP_LABELS, OP_NAMES } from "../case.js";
import { machineLine } from "../machine.js";
import type { Report, RowResult } from "../results.js";
import { ms, times, versus } from "./format.js";

export const START = "<!-- bench:start -->";
export const END = "<!-- bench:end -->";

function cell(r: RowResult | undefined, withRatio: boolean): string {
  if (!r?.stats) return "n/m";
  const ratio = withRatio && r.ratioToCopy !== undefined ? ` (${times(r.ratioToCopy)})` : "";
  return `${ms(r.stats.median)}${ratio}`;
}

export function headlineMarkdown(report: Report, chartPath: string): string {
  const rows = report.rows.filter((r) => r.family === "BatchNorm");
  const workloads = [...new Set(rows.map((r) => r.workload))];
  const find = (w: string, op: string, impl: string) => rows.find((r) => r.workload === w && r.op === op && r.impl === impl);
  const lines = [
    "| shape | op | copy floor | ours SIMD zero-copy (x copy) | ours scalar zero-copy | pure JS reference | TF.js wasm | PyTorch | ours vs PyTorch |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const w of workloads) {
    for (const op of OP_NAMES) {
      const ours = find(w, op, "simd-tensor");
      const torch = find(w, op, "torch");
      const speedup = ours?.speedupVsTorch;
      lines.push(`| ${w} | ${OP_LABELS[op]} | ${cell(find(w, "copy", "copy"), false)} | ${cell(ours, true)} | ${cell(find(w, op, "scalar-tensor"), true)} | ${cell(find(w, op, "js-reference"), true)} | ${cell(find(w, op, "tfjs-wasm"), true)} | ${cell(torch, true)} | ${speedup !== undefined ? versus(speedup) : "n/m"} |`);
    }
  }
  const family = familyMarkdown(report);
  // Training forward + backward is two module calls; the other ops one.
  const overhead = report.overhead
    .map((o) => `${o.workload} ${OP_LABELS[o.op]} ${o.stats.median.toFixed(1)} us${o.op === "trainBackward" ? " (two calls)" : ""}`)
    .join("; ");
  const torchNote = report.torch.measured ? `PyTorch ${report.versions.torch}` : `PyTorch ${report.torch.reason ?? "not measured"}`;
  return [
    START,
    `Medians in milliseconds per call, ratio to the memory.copy floor in brackets; n/m = not measured. ${report.mode === "quick" ? "Quick run" : "Full run"} of ${report.machine.date.slice(0, 10)}, commit ${report.machine.commit}, on ${machineLine(report.machine)}; load average ${report.machine.loadAverage[0]} at the start. TF.js ${report.versions.tfjs}; ${torchNote}.`,
    "",
    ...lines,
    "",
    ...family,
    overhead ? `Wrapper overhead per call (the zero-copy module call on a backend whose kernels do nothing): ${overhead}.` : "",
    "",
    `![Time relative to memory.copy, per shape and op](${chartPath})`,
    END,
  ].join("\n");
}

/** A compact table of the other families' rows (LayerNorm, GroupNorm, InstanceNorm), if any ran. */
function familyMarkdown(report: Report): string[] {
  const rows = report.rows.filter((r) => r.family !== "BatchNorm");
  if (rows.length === 0) return [];
  const find = (f: string, w: string, op: string, impl: string) =>
    rows.find((r) => r.family === f && r.workload === w && r.op === op && r.impl === impl);
  const groups = [...new Map(rows.map((r) => [`${r.family}|${r.workload}`, [r.family, r.workload] as const])).values()];
  const lines = [
    "| op | shape | pass | copy floor | ours SIMD zero-copy (x copy) | ours scalar zero-copy | pure JS reference | PyTorch | ours vs PyTorch |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const [f, w] of groups) {
    for (const op of OP_NAMES) {
      const ours = find(f, w, op, "simd-tensor");
      if (!ours) continue;
      const speedup = ours.speedupVsTorch;
      lines.push(`| ${f} | ${w} | ${OP_LABELS[op]} | ${cell(find(f, w, "copy", "copy"), false)} | ${cell(ours, true)} | ${cell(find(f, w, op, "scalar-tensor"), true)} | ${cell(find(f, w, op, "js-reference"), true)} | ${cell(find(f, w, op, "torch"), true)} | ${speedup !== undefined ? versus(speedup) : "n/m"} |`);
    }
  }
  return [...lines, ""];
}

/** README text with the block between the markers replaced; throws if the markers are missing. */
export function replaceBlock(readme: string, block: string): string {
  const a = readme.indexOf(START), b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} ... ${END} block`);
  return readme.slice(0, a) + block + readme.slice(b + END.length);
}
