// test/fixtures/README.md lists every fixture case: one row per case of batchnorm.jsonl and of
// conventions.jsonl, in file order, with the module, shape, steps and options the file holds;
// the grouped names of the layer / group / instance norm table cover layer-group-instance.jsonl,
// and those of the row-norm table rownorm.jsonl, each case once.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixtureCases } from "./helpers/fixtures.js";
import { layerGroupInstanceCases } from "./helpers/layer-group-instance-fixtures.js";
import { rowNormCases } from "./helpers/rownorm-fixtures.js";
import { parseFixtureLines } from "./helpers/jsonl.js";

const README = readFileSync(new URL("./fixtures/README.md", import.meta.url), "utf8");

interface ConventionCase {
  name: string;
  module: string;
  options: { layout: string; eps?: number; momentum?: number };
  resolved: { eps: number; momentum: number };
  steps: Array<{ shape: number[] }>;
}
const conventionCases = parseFixtureLines<ConventionCase>(
  readFileSync(new URL("./fixtures/conventions.jsonl", import.meta.url), "utf8"), "test/fixtures/conventions.jsonl",
).cases;

/** The cells of the first table after the line `heading`, header and separator rows left out. */
function tableAfter(heading: string): string[][] {
  const lines = README.split("\n");
  const at = lines.indexOf(heading);
  expect(at, `README has the heading ${heading}`).toBeGreaterThanOrEqual(0);
  let i = at + 1;
  while (i < lines.length && !lines[i].startsWith("|")) i++;
  const rows: string[][] = [];
  for (; i < lines.length && lines[i].startsWith("|"); i++) rows.push(lines[i].split("|").slice(1, -1).map((c) => c.trim()));
  return rows.slice(2);
}

/** "2d NHWC (3, 5, 5, 6)": the module's suffix, the layout where it matters, the first step's shape. */
function moduleCell(module: string, layout: string, shape: number[]): string {
  const nhwc = layout === "NHWC" && shape.length > 2 ? " NHWC" : "";
  return `${module.replace(/^BatchNorm/, "")}${nhwc} (${shape.join(", ")})`;
}

/** "2 × train+bwd, eval": runs of equal steps counted. */
function stepsCell(steps: ReadonlyArray<{ mode: string; dy?: unknown }>): string {
  const runs: Array<[string, number]> = [];
  for (const s of steps) {
    const label = s.mode + (s.dy ? "+bwd" : "");
    if (runs.length && runs[runs.length - 1][0] === label) runs[runs.length - 1][1]++;
    else runs.push([label, 1]);
  }
  return runs.map(([label, n]) => (n > 1 ? `${n} × ${label}` : label)).join(", ");
}

/** `gn-{3,4}d[-affine]` to every name it stands for. */
function expand(pattern: string): string[] {
  const m = /\{([^}]*)\}|\[([^\]]*)\]/.exec(pattern);
  if (!m) return [pattern];
  const options = m[1] !== undefined ? m[1].split(",") : ["", m[2]];
  return options.flatMap((o) => expand(pattern.slice(0, m.index) + o + pattern.slice(m.index + m[0].length)));
}

describe("test/fixtures/README.md lists every fixture case", () => {
  it("the batch-norm table: every case of batchnorm.jsonl in order, with its module, shape and steps", () => {
    const rows = tableAfter("## Batch-norm cases");
    expect(rows.map((r) => r.slice(0, 3))).toEqual(
      fixtureCases.map((c) => [`\`${c.name}\``, moduleCell(c.module, c.options.layout, c.steps[0].shape), stepsCell(c.steps)]),
    );
    rows.forEach((r) => expect(r[3], `${r[0]}: what it covers`).not.toBe(""));
    // The fused-ReLU cases say so.
    fixtureCases.forEach((c, i) => expect(rows[i][3].includes("ReLU"), c.name).toBe(c.options.activation === "relu"));
  });

  it("the convention table: every case of conventions.jsonl in order, with its module, shape, eps and momentum", () => {
    const rows = tableAfter("## Convention cases");
    expect(rows.map((r) => r[0])).toEqual(conventionCases.map((c) => `\`${c.name}\``));
    conventionCases.forEach((c, i) => {
      const [, module, epsMomentum, given] = rows[i];
      expect(module, c.name).toBe(moduleCell(c.module, c.options.layout, c.steps[0].shape));
      expect(epsMomentum.split(", ").map(Number), c.name).toEqual([c.resolved.eps, c.resolved.momentum]);
      const keys = (["eps", "momentum"] as const).filter((k) => c.options[k] !== undefined);
      if (keys.length === 0) expect(given, c.name).toMatch(/^none/);
      else expect(given, c.name).toBe(keys.join(", "));
    });
  });

  it("the layer / group / instance norm table: its names cover layer-group-instance.jsonl, each case once", () => {
    const rows = tableAfter("# Layer, group and instance norm fixtures: `layer-group-instance.jsonl`");
    const named = rows.flatMap((r) => [...r[0].matchAll(/`([^`]+)`/g)].flatMap((m) => expand(m[1])));
    expect([...named].sort()).toEqual(layerGroupInstanceCases.map((c) => c.name).sort());
  });

  it("the row-norm table: its names cover rownorm.jsonl, each case once", () => {
    const rows = tableAfter("# RMS norm and residual add + norm fixtures: `rownorm.jsonl`");
    const named = rows.flatMap((r) => [...r[0].matchAll(/`([^`]+)`/g)].flatMap((m) => expand(m[1])));
    expect([...named].sort()).toEqual(rowNormCases.map((c) => c.name).sort());
  });
});
