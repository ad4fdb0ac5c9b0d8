// The chart: time relative to the memory.copy floor, per workload, one panel per op, on a
// log scale. Plain SVG written by hand: no dependency, readable in a browser or on GitHub.
import { OP_LABELS, OP_NAMES } from "../case.js";
import type { Report, RowResult } from "../results.js";

interface Series {
  readonly impl: string;
  readonly label: string;
  readonly color: string;
}

export const CHART_SERIES: readonly Series[] = [
  { impl: "simd-tensor", label: "ours SIMD, zero-copy", color: "#1a7a3c" },
  { impl: "simd-array", label: "ours SIMD, Float32Array", color: "#66bd63" },
  { impl: "scalar-tensor", label: "ours scalar, zero-copy", color: "#b8e186" },
  { impl: "js-reference", label: "pure JS reference", color: "#f4a442" },
  { impl: "tfjs-wasm", label: "TF.js wasm", color: "#d73027" },
  { impl: "torch", label: "PyTorch (1 thread)", color: "#4575b4" },
];

const W = 1200, LEFT = 70, RIGHT = 20, TOP = 92, PANEL = 250, GAP = 56, BOTTOM = 64;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function ratioText(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(0) : v.toFixed(1);
}

/** caption: lines under the chart (where and when the figures were measured). */
export function ratiosSvg(report: Report, caption: readonly string[]): string {
  const rows = report.rows.filter((r) => r.family === "BatchNorm");
  const workloads = [...new Set(rows.map((r) => r.workload))];
  const find = (w: string, op: string, impl: string): RowResult | undefined =>
    rows.find((r) => r.workload === w && r.op === op && r.impl === impl);
  const plotted = new Set(CHART_SERIES.map((c) => c.impl));
  const ratios = rows.filter((r) => plotted.has(r.impl)).map((r) => r.ratioToCopy).filter((v): v is number => v !== undefined && v > 0);
  const lo = 0.5;
  // Room above the tallest bar for its label: the next 1-2-5 step above 1.6 times it.
  const top = Math.max(10, ...ratios) * 1.6;
  const step = 10 ** Math.floor(Math.log10(top));
  const hi = [1, 2, 5, 10].map((m) => m * step).find((v) => v >= top)!;
  const H = TOP + OP_NAMES.length * (PANEL + GAP) + BOTTOM;
  const plotW = W - LEFT - RIGHT;
  const groupW = plotW / Math.max(1, workloads.length);
  const barW = (groupW - 14) / CHART_SERIES.length;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${LEFT}" y="28" font-size="19" font-weight="bold">Batch norm time relative to memory.copy of the same bytes (log scale; lower is better; 1x = the copy floor)</text>`);
  CHART_SERIES.forEach((s, i) => {
    const x = LEFT + i * 180;
    out.push(`<rect x="${x}" y="44" width="14" height="14" fill="${s.color}"/><text x="${x + 20}" y="56" font-size="13">${esc(s.label)}</text>`);
  });
  out.push(`<text x="${LEFT}" y="78" font-size="12" fill="#555">single thread; medians of ${report.mode === "quick" ? "a quick" : "a full"} run; numbers on the bars are the ratios; n/m = not measured</text>`);

  OP_NAMES.forEach((op, p) => {
    const top = TOP + p * (PANEL + GAP) + 22;
    const y = (v: number) => top + PANEL - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PANEL;
    out.push(`<text x="${LEFT}" y="${top - 8}" font-size="15" font-weight="bold">${esc(OP_LABELS[op])}</text>`);
    for (let decade = 1; decade <= hi; decade *= 10) {
      for (const m of [1, 2, 5]) {
        const v = decade * m;
        if (v > hi) continue;
        const major = m === 1;
        // Minor lines only get a label while a decade is tall enough to hold three.
        const labelled = major || v === hi || PANEL / (Math.log10(hi) - Math.log10(lo)) > 70;
        out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${major ? "#bbb" : "#e6e6e6"}" stroke-width="1"/>`);
        if (labelled) out.push(`<text x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#444">${v}x</text>`);
      }
    }
    out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(1).toFixed(1)}" y2="${y(1).toFixed(1)}" stroke="#000" stroke-width="1.5"/>`);
    workloads.forEach((w, g) => {
      const gx = LEFT + g * groupW + 7;
      CHART_SERIES.forEach((s, i) => {
        const x = gx + i * barW;
        const r = find(w, op, s.impl)?.ratioToCopy;
        if (r === undefined) {
          out.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${(y(lo) - 4).toFixed(1)}" font-size="9" text-anchor="middle" fill="#888" transform="rotate(-90 ${(x + barW / 2).toFixed(1)} ${(y(lo) - 4).toFixed(1)})" dy="3">n/m</text>`);
          return;
        }
        const v = Math.min(Math.max(r, lo), hi);
        out.push(`<rect x="${(x + 1).toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(y(lo) - y(v)).toFixed(1)}" fill="${s.color}"><title>${esc(`${w} ${OP_LABELS[op]}, ${s.label}: ${r.toFixed(2)}x copy`)}</title></rect>`);
        const tx = (x + barW / 2).toFixed(1), ty = (y(v) - 3).toFixed(1);
        out.push(`<text x="${tx}" y="${ty}" font-size="10" transform="rotate(-90 ${tx} ${ty})" dy="3.5">${ratioText(r)}</text>`);
      });
      out.push(`<text x="${(gx + (groupW - 14) / 2).toFixed(1)}" y="${top + PANEL + 16}" font-size="12" text-anchor="middle">${esc(w)}</text>`);
    });
  });
  caption.forEach((line, i) => {
    out.push(`<text x="${LEFT}" y="${H - BOTTOM + 30 + i * 16}" font-size="12" fill="#444">${esc(line)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
