// Writes the run's outputs. A full unfiltered run publishes: bench/results/latest.json, the
// chart bench/results/ratios.svg and the README's table. Quick or filtered runs write
// bench/results/partial.json only, so they never replace the published figures.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { machineLine } from "../machine.js";
import type { Report } from "../results.js";
import { headlineMarkdown, replaceBlock } from "./readme.js";
import { ratiosSvg } from "./svg.js";

const RESULTS = fileURLToPath(new URL("../results/", import.meta.url));
const README = fileURLToPath(new URL("../../README.md", import.meta.url));
const CHART_LINK = "bench/results/ratios.svg";

export function writeOutputs(report: Report, publish: boolean): string[] {
  mkdirSync(RESULTS, { recursive: true });
  const json = `${JSON.stringify(report, null, 1)}\n`;
  if (!publish) {
    writeFileSync(`${RESULTS}partial.json`, json);
    return ["bench/results/partial.json (quick / filtered runs leave latest.json, the chart and the README alone)"];
  }
  writeFileSync(`${RESULTS}latest.json`, json);
  const m = report.machine;
  const caption = [
    `${m.date.slice(0, 10)}, commit ${m.commit}, ${report.mode} run of ${report.durationS} s, load average ${m.loadAverage[0]} at the start; TF.js ${report.versions.tfjs}, PyTorch ${report.versions.torch ?? "not measured"}`,
    machineLine(m),
  ];
  writeFileSync(`${RESULTS}ratios.svg`, ratiosSvg(report, caption));
  writeFileSync(README, replaceBlock(readFileSync(README, "utf8"), headlineMarkdown(report, CHART_LINK)));
  return ["bench/results/latest.json", "bench/results/ratios.svg", "README.md"];
}
