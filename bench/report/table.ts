// The console table: one block per workload and op, rows in implementation order.
import { OP_LABELS, type OpName } from "../case.js";
import { IMPLEMENTATIONS } from "../implementations.js";
import type { OverheadResult, RowResult } from "../results.js";
import { ms, times, versus } from "./format.js";

function pad(cells: string[][]): string {
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n");
}

const order = (impl: string) => IMPLEMENTATIONS.findIndex((i) => i.key === impl);

/** The rows of one workload (its floor first), grouped by op. */
export function workloadTable(rows: readonly RowResult[]): string {
  const out: string[] = [];
  const floor = rows.find((r) => r.op === "copy");
  const head = rows[0];
  out.push(`\n${head.family} ${head.workload}  (floor: memory.copy of ${((head.shape.reduce((a, b) => a * b, 1) * 4) / 2 ** 20).toFixed(1)} MiB = ${floor?.stats ? `${ms(floor.stats.median)} ms` : floor?.reason ?? "not measured"})`);
  const ops = [...new Set(rows.map((r) => r.op))].filter((op): op is OpName => op !== "copy");
  for (const op of ops) {
    const cells = [[`  ${OP_LABELS[op]}`, "median ms", "p25-p75 ms", "n", "x copy", "vs PyTorch"]];
    for (const r of rows.filter((k) => k.op === op).sort((a, b) => order(a.impl) - order(b.impl))) {
      if (!r.stats) {
        cells.push([`    ${r.implLabel}`, r.reason ?? r.status, "", "", "", ""]);
        continue;
      }
      const s = r.stats;
      cells.push([
        `    ${r.implLabel}`,
        ms(s.median),
        `${ms(s.p25)}-${ms(s.p75)}`,
        String(s.n),
        r.ratioToCopy !== undefined ? times(r.ratioToCopy) : "",
        r.speedupVsTorch !== undefined ? versus(r.speedupVsTorch) : "",
      ]);
    }
    // Long reasons would stretch the median column: print them under the block instead.
    out.push(pad(cells.map((c) => (c[1].length > 12 && c[2] === "" ? [c[0], "-", "", "", "", ""] : c))));
    for (const c of cells.filter((k) => k[1].length > 12 && k[2] === "")) out.push(`      ${c[0].trim()}: ${c[1]}`);
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
