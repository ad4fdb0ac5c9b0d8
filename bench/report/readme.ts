// The README's headline table, between <!-- bench:start --> and <!-- bench:end -->: a handful
// of rows (HEADLINE); every row of the run is in docs/speed.md (speed.ts).
import { OP_LABELS, type OpName } from "../case.js";
import { machineLine } from "../machine.js";
import type { Report, RowResult } from "../results.js";
import { ms, times, versus } from "./format.js";
import { reluComparison } from "./speed.js";

export const START = "<!-- bench:start -->";
export const END = "<!-- bench:end -->";

/** The headline rows: family, workload, op. */
export const HEADLINE: readonly (readonly [string, string, OpName])[] = [
  ["BatchNorm", "32x64x56x56 NCHW", "train"],
  ["BatchNorm", "32x64x56x56 NCHW", "infer"],
  ["BatchNorm", "32x64x56x56 NCHW", "trainBackward"],
  ["BatchNorm", "32x56x56x64 NHWC", "train"],
  ["BatchNorm", "32x56x56x64 NHWC", "infer"],
  ["BatchNorm", "32x56x56x64 NHWC", "trainBackward"],
  ["LayerNorm", "4096x768 2-D", "trainBackward"],
];

function cell(r: RowResult | undefined, withRatio: boolean): string {
  if (!r?.stats) return "n/m";
  const ratio = withRatio && r.ratioToCopy !== undefined ? ` (${times(r.ratioToCopy)})` : "";
  return `${ms(r.stats.median)}${ratio}`;
}

export function headlineMarkdown(report: Report, chartPath: string, speedPath: string): string {
  const find = (f: string, w: string, op: string, impl: string) =>
    report.rows.find((r) => r.family === f && r.workload === w && r.op === op && r.impl === impl);
  const lines = [
    "| op | shape | pass | copy floor | ours SIMD zero-copy (x copy) | ours SIMD Float32Array | TF.js wasm | PyTorch | ours vs PyTorch |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const [f, w, op] of HEADLINE) {
    const ours = find(f, w, op, "simd-tensor");
    if (!ours) continue;
    const speedup = ours.speedupVsTorch;
    lines.push(`| ${f} | ${w} | ${OP_LABELS[op]} | ${cell(find(f, w, "copy", "copy"), false)} | ${cell(ours, true)} | ${cell(find(f, w, op, "simd-array"), true)} | ${cell(find(f, w, op, "tfjs-wasm"), true)} | ${cell(find(f, w, op, "torch"), true)} | ${speedup !== undefined ? versus(speedup) : "n/m"} |`);
  }
  const relu = reluComparison(report).map((r) => r.speedup).sort((a, b) => a - b);
  const reluLine = relu.length
    ? `The fused ReLU (\`activation: "relu"\`) against batch norm followed by a ReLU pass in wasm (SIMD) over its output: ${times(relu[0])} to ${times(relu[relu.length - 1])} the speed (median ${times(relu[Math.floor(relu.length / 2)])}).`
    : "";
  const torchNote = report.torch.measured ? `PyTorch ${report.versions.torch}` : `PyTorch ${report.torch.reason ?? "not measured"}`;
  return [
    START,
    `Medians in milliseconds per call, ratio to the memory.copy floor in brackets; n/m = not measured. ${report.mode === "quick" ? "Quick run" : "Full run"} of ${report.machine.date.slice(0, 10)}, commit ${report.machine.commit}, on ${machineLine(report.machine)}; load average ${report.machine.loadAverage[0]} at the start. TF.js ${report.versions.tfjs}; ${torchNote}.`,
    "",
    ...lines,
    "",
    `Every shape, layout and implementation of the same run (the scalar build, pure JS, TF.js cpu, the TF.js adapter, SyncBatchNorm, the fused ReLU, GroupNorm, InstanceNorm), with spreads, effective bandwidths against the copy's, the wrapper overhead and the speed-target checks: [${speedPath}](${speedPath}).${reluLine ? ` ${reluLine}` : ""}`,
    "",
    `![Time relative to memory.copy, per shape and op](${chartPath})`,
    END,
  ].join("\n");
}

/** README text with the block between the markers replaced; throws if the markers are missing. */
export function replaceBlock(readme: string, block: string): string {
  const a = readme.indexOf(START), b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} ... ${END} block`);
  return readme.slice(0, a) + block + readme.slice(b + END.length);
}
