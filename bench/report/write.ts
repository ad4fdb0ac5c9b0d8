// Writes the run's outputs. Every run writes its raw figures to a JSON file that is not
// committed (.gitignore): bench/results/latest.json for a full unfiltered run,
// bench/results/partial.json for a quick or filtered one. A full unfiltered run also
// publishes, for committing: docs/speed.md (every row), the README's headline table and the
// chart bench/results/ratios.svg. Quick or filtered runs never replace the published figures.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { machineLine } from "../machine.js";
import type { Report } from "../results.js";
import { headlineMarkdown, replaceBlock } from "./readme.js";
import { speedMarkdown } from "./speed.js";
import { ratiosSvg } from "./svg.js";

const RESULTS = fileURLToPath(new URL("../results/", import.meta.url));
const README = fileURLToPath(new URL("../../README.md", import.meta.url));
const SPEED = fileURLToPath(new URL("../../docs/speed.md", import.meta.url));
const CHART_LINK = "bench/results/ratios.svg";
const SPEED_LINK = "docs/speed.md";

export function writeOutputs(report: Report, publish: boolean): string[] {
  mkdirSync(RESULTS, { recursive: true });
  const json = `${JSON.stringify(report, null, 1)}\n`;
  if (!publish) {
    writeFileSync(`${RESULTS}partial.json`, json);
    return ["bench/results/partial.json (not committed; quick / filtered runs leave docs/speed.md, the chart and the README alone)"];
  }
  writeFileSync(`${RESULTS}latest.json`, json);
  const m = report.machine;
  const caption = [
    `${m.date.slice(0, 10)}, commit ${m.commit}, ${report.mode} run of ${report.durationS} s, load average ${m.loadAverage[0]} at the start; TF.js ${report.versions.tfjs}, PyTorch ${report.versions.torch ?? "not measured"}`,
    machineLine(m),
  ];
  writeFileSync(`${RESULTS}ratios.svg`, ratiosSvg(report, caption));
  writeFileSync(SPEED, `${speedMarkdown(report)}\n`.replace(/\n+$/, "\n"));
  writeFileSync(README, replaceBlock(readFileSync(README, "utf8"), headlineMarkdown(report, CHART_LINK, SPEED_LINK)));
  return ["bench/results/latest.json (not committed)", "bench/results/ratios.svg", "docs/speed.md", "README.md"];
}
