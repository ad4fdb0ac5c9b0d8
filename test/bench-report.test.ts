// The bench's own plumbing: statistics, options, the README block, the chart and the
// target checks, on synthetic figures (no timing here).
import { describe, expect, it } from "vitest";
import { parseOptions, matchesFilters } from "../bench/options.js";
import { headlineMarkdown, replaceBlock, START, END } from "../bench/report/readme.js";
import { ratiosSvg } from "../bench/report/svg.js";
import { relate, type Report, type RowResult } from "../bench/results.js";
import { summarize } from "../bench/stats.js";
import { checkTargets } from "../bench/targets.js";

function row(workload: string, shape: number[], layout: "NCHW" | "NHWC", op: RowResult["op"], impl: string, median: number): RowResult {
  return {
    id: `BatchNorm ${workload} ${op} ${impl}`, family: "BatchNorm", workload, shape, layout, op, impl, implLabel: impl,
    status: "measured", stats: { median, p25: median, p75: median, mad: 0, min: median, max: median, n: 5 },
  };
}

function report(rows: RowResult[]): Report {
  relate(rows);
  return {
    generatedBy: "npm run bench", mode: "full", filters: [],
    machine: { cpu: "Test CPU", cores: 2, caches: { L2: "1 MiB" }, memoryGiB: 8, os: "Linux", node: "20", v8: "11", date: "2030-01-02T00:00:00Z", commit: "abc", loadAverage: [0.1, 0.1, 0.1] },
    durationS: 1, loadAverageEnd: [0, 0, 0], versions: { tfjs: "4.22.0", torch: "1.13", wasmBuilds: ["simd", "scalar"] },
    torch: { measured: true, threads: 1 }, rows, overhead: [], targets: [],
  };
}

describe("bench statistics", () => {
  it("give median, quartiles and MAD", () => {
    const s = summarize([5, 1, 3, 2, 4]);
    expect([s.median, s.p25, s.p75, s.mad, s.min, s.max, s.n]).toEqual([3, 2, 4, 1, 1, 5, 5]);
    expect(summarize([1, 2, 3, 4]).median).toBe(2.5);
  });
});

describe("bench options", () => {
  it("parse --quick, repeated --filter and reject unknown flags", () => {
    const o = parseOptions(["--quick", "--filter", "NHWC train", "--filter=TFJS"]);
    expect(o.quick).toBe(true);
    expect(o.publish).toBe(false);
    expect(matchesFilters(o, "BatchNorm 8x32x32x32 NHWC trainBackward simd-tensor")).toBe(true);
    expect(matchesFilters(o, "BatchNorm 8x32x32x32 NCHW infer tfjs-wasm")).toBe(true);
    expect(matchesFilters(o, "BatchNorm 8x32x32x32 NCHW infer simd-tensor")).toBe(false);
    expect(parseOptions([]).publish).toBe(true);
    expect(() => parseOptions(["--fast"])).toThrow(/unknown option --fast/);
    expect(() => parseOptions(["--filter"])).toThrow(/--filter needs a substring/);
  });
});

describe("bench report", () => {
  const rows = [
    row("32x64x56x56 NCHW", [32, 64, 56, 56], "NCHW", "copy", "copy", 2),
    row("32x64x56x56 NCHW", [32, 64, 56, 56], "NCHW", "train", "simd-tensor", 3),
    row("32x64x56x56 NCHW", [32, 64, 56, 56], "NCHW", "train", "torch", 12),
    row("32x64x56x56 NCHW", [32, 64, 56, 56], "NCHW", "trainBackward", "simd-tensor", 10),
    row("32x64x56x56 NCHW", [32, 64, 56, 56], "NCHW", "trainBackward", "tfjs-wasm", 100),
  ];
  const r = report(rows);

  it("relates rows to their floor and to PyTorch", () => {
    expect(rows[1].ratioToCopy).toBe(1.5);
    expect(rows[1].speedupVsTorch).toBe(4);
  });

  it("replaces only the README block between the markers", () => {
    const block = headlineMarkdown(r, "bench/results/ratios.svg");
    expect(block.startsWith(START) && block.endsWith(END)).toBe(true);
    expect(block).toContain("| 32x64x56x56 NCHW | training forward | 2.00 | 3.00 (1.50x) | n/m | n/m | n/m | 12.0 (6.00x) | 4.00x faster |");
    expect(block).toContain("Test CPU");
    const readme = `# title\n\nbefore\n${START}\nold\n${END}\nafter\n`;
    expect(replaceBlock(readme, block)).toBe(`# title\n\nbefore\n${block}\nafter\n`);
    expect(() => replaceBlock("# no markers\n", block)).toThrow(/bench:start/);
  });

  it("draws a bar per measured ratio and marks missing ones", () => {
    const svg = ratiosSvg(r, ["caption"]);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("training forward, ours SIMD, zero-copy: 1.50x copy");
    expect(svg).toContain(">n/m<");
    expect(svg).toContain("caption");
  });

  it("checks issue 3's targets", () => {
    const checks = checkTargets(rows, [{ workload: "8x32x32x32 NCHW", op: "infer", stats: summarize([3, 4, 8]) }]);
    const t2 = checks.find((c) => c.target === 2 && c.what.includes("training forward"))!;
    expect([t2.measured, t2.limit, t2.met]).toEqual([1.5, 1.8, true]);
    const t3 = checks.find((c) => c.target === 3)!;
    expect([t3.measured, t3.met]).toEqual([0.25, true]);
    const t4 = checks.find((c) => c.target === 4)!;
    expect([t4.measured, t4.met]).toEqual([10, false]);
    const t5 = checks.find((c) => c.target === 5)!;
    expect([t5.measured, t5.met]).toEqual([4, true]);
  });
});
