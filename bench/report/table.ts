// The tables of a workload's rows: one block per op, rows in implementation order, each with
// its median, spread, sample count, ratio to the copy floor, effective bandwidth (next to
// the copy's, in the block's heading) and speed against PyTorch. The console prints them as
// text (workloadTable); docs/speed.md has the same cells as Markdown (speed.ts).
import { OP_LABELS, type OpName } from "../case.js";
import { IMPLEMENTATIONS } from "../implementations.js";
import type { OverheadResult, RowResult } from "../results.js";
import { effectiveGBps, gbps } from "./bandwidth.js";
import { ms, times, versus } from "./format.js";

const order = (impl: string) => IMPLEMENTATIONS.findIndex((i) => i.key === impl);

export const COLUMNS = ["median ms", "p25-p75 ms", "n", "x copy", "GB/s", "vs PyTorch"] as const;

export interface OpBlock {
  readonly op: OpName;
  /** [label, ...COLUMNS cells] per row; a row not measured has its reason as the only cell. */
  readonly rows: readonly (readonly [string, ...string[]])[];
}

export interface WorkloadBlocks {
  /** "BatchNorm 32x64x56x56 NCHW". */
  readonly title: string;
  /** "memory.copy of 24.5 MiB = 2.54 ms, 19.3 GB/s" or why the floor was not measured. */
  readonly floor: string;
  readonly ops: readonly OpBlock[];
}

function cells(r: RowResult): [string, ...string[]] {
  if (!r.stats) return [r.implLabel, r.reason ?? r.status];
  const s = r.stats;
  const bw = effectiveGBps(r);
  return [
    r.implLabel,
    ms(s.median),
    `${ms(s.p25)}-${ms(s.p75)}`,
    String(s.n),
    r.ratioToCopy !== undefined ? times(r.ratioToCopy) : "",
    bw !== undefined ? gbps(bw) : "",
    r.speedupVsTorch !== undefined ? versus(r.speedupVsTorch) : "",
  ];
}

/** The rows of one workload (its floor among them), grouped by op. */
export function workloadBlocks(rows: readonly RowResult[]): WorkloadBlocks {
  const head = rows[0];
  const floor = rows.find((r) => r.op === "copy");
  const mib = ((head.shape.reduce((a, b) => a * b, 1) * 4 * (head.tensors ?? 1)) / 2 ** 20).toFixed(1);
  const floorBw = floor ? effectiveGBps(floor) : undefined;
  const floorText = floor?.stats && floorBw !== undefined
    ? `memory.copy of ${mib} MiB = ${ms(floor.stats.median)} ms, ${gbps(floorBw)} GB/s`
    : `memory.copy of ${mib} MiB: ${floor?.reason ?? "not measured"}`;
  const ops = [...new Set(rows.map((r) => r.op))].filter((op): op is OpName => op !== "copy");
  return {
    title: `${head.family} ${head.workload}`,
    floor: floorText,
    ops: ops.map((op) => ({ op, rows: rows.filter((k) => k.op === op).sort((a, b) => order(a.impl) - order(b.impl)).map(cells) })),
  };
}

function pad(cells: string[][]): string {
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n");
}

/** The console table of one workload. */
export function workloadTable(rows: readonly RowResult[]): string {
  const b = workloadBlocks(rows);
  const out = [`\n${b.title}  (floor: ${b.floor})`];
  for (const block of b.ops) {
    const body = block.rows.map(([label, ...rest]) =>
      rest.length === 1 ? [`    ${label}`, "-", "", "", "", "", ""] : [`    ${label}`, ...rest]);
    out.push(pad([[`  ${OP_LABELS[block.op]}`, ...COLUMNS], ...body]));
    // Reasons would stretch the median column: print them under the block instead.
    for (const [label, ...rest] of block.rows) if (rest.length === 1) out.push(`      ${label}: ${rest[0]}`);
  }
  return out.join("\n");
}

export function overheadTable(results: readonly OverheadResult[]): string {
  if (results.length === 0) return "";
  const cells = [["wrapper overhead (module via tensors, kernels no-ops)", "median us", "p25-p75 us", "rounds"]];
  for (const r of results) {
    cells.push([`  ${r.workload} ${OP_LABELS[r.op]}`, r.stats.median.toFixed(2), `${r.stats.p25.toFixed(2)}-${r.stats.p75.toFixed(2)}`, String(r.stats.n)]);
  }
  return `\n${pad(cells)}`;
}
