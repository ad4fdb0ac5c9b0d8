// A small summary of a raw results file (bench/results/latest.json or partial.json, which
// are not committed): the run's header and, per row, its median, quartiles, sample count and
// ratio to the copy floor, 4 significant digits, one row per line. For committing the figures
// a hand-written page cites (bench/results/embedding.json is one).
//   npx tsx bench/report/summarize.ts <raw.json> <summary.json> [--note <text>]
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { Report } from "../results.js";

export const SUMMARY_COLUMNS = ["id", "median ms", "p25 ms", "p75 ms", "n", "x copy"] as const;

const sig = (v: number | undefined): number | null => (v === undefined ? null : Number(v.toPrecision(4)));

export function summaryJson(report: Report, note?: string): string {
  const header = {
    summary: note ?? "Summary of a raw `npm run bench` results file",
    generatedBy: report.generatedBy,
    mode: report.mode,
    filters: report.filters,
    ...(report.args ? { args: report.args } : {}),
    machine: report.machine,
    durationS: report.durationS,
    loadAverageEnd: report.loadAverageEnd,
    versions: report.versions,
    torch: report.torch,
    columns: SUMMARY_COLUMNS,
  };
  const rows = report.rows.map((r) => JSON.stringify(r.stats
    ? [r.id, sig(r.stats.median), sig(r.stats.p25), sig(r.stats.p75), r.stats.n, sig(r.ratioToCopy)]
    : [r.id, r.reason ?? r.status]));
  const head = JSON.stringify(header, null, 1);
  return `${head.slice(0, -2)},\n "rows": [\n  ${rows.join(",\n  ")}\n ]\n}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [raw, out, flag, note] = process.argv.slice(2);
  if (!raw || !out || (flag !== undefined && flag !== "--note")) {
    console.error("usage: npx tsx bench/report/summarize.ts <raw.json> <summary.json> [--note <text>]");
    process.exit(2);
  }
  writeFileSync(out, summaryJson(JSON.parse(readFileSync(raw, "utf8")) as Report, note));
}
