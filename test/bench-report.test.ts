// The bench's own plumbing: statistics, options, the README block, the chart and the
// target checks, on synthetic figures (no timing here).
import { describe, expect, it } from "vitest";
import { parseOptions, matchesFilters } from "../bench/options.js";
import { effectiveGBps, trafficBytes } from "../bench/report/bandwidth.js";
import { headlineMarkdown, replaceBlock, START, END } from "../bench/report/readme.js";
import { runDescription, speedMarkdown } from "../bench/report/speed.js";
import { summaryJson } from "../bench/report/summarize.js";
import { workloadTable } from "../bench/report/table.js";
import { ratiosSvg } from "../bench/report/svg.js";
import { relate, type Report, type RowResult } from "../bench/results.js";
import { summarize } from "../bench/stats.js";
import { checkTargets } from "../bench/targets.js";
import { layerNormFamily } from "../bench/families/norms.js";
import type { BenchContext } from "../bench/families/family.js";
import { skipReason } from "../bench/rows.js";

function row(workload: string, shape: number[], layout: "NCHW" | "NHWC", op: RowResult["op"], impl: string, median: number): RowResult {
  return {
    id: `BatchNorm ${workload} ${op} ${impl}`, family: "BatchNorm", workload, shape, layout, op, impl, implLabel: impl,
    status: "measured", stats: { median, p25: median, p75: median, mad: 0, min: median, max: median, n: 5 },
  };
}

function report(rows: RowResult[]): Report {
  relate(rows);
  return {
    generatedBy: "npm run bench", mode: "full", filters: [], args: [],
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
  const rows: RowResult[] = [
    row("32x64x56x56 NCHW", [32, 64, 56, 56], "NCHW", "copy", "copy", 2),
    row("32x64x56x56 NCHW", [32, 64, 56, 56], "NCHW", "train", "simd-tensor", 3),
    row("32x64x56x56 NCHW", [32, 64, 56, 56], "NCHW", "train", "torch", 12),
    row("32x64x56x56 NCHW", [32, 64, 56, 56], "NCHW", "trainBackward", "simd-tensor", 10),
    row("32x64x56x56 NCHW", [32, 64, 56, 56], "NCHW", "trainBackward", "tfjs-wasm", 100),
    row("32x64x56x56 NCHW", [32, 64, 56, 56], "NCHW", "infer", "simd-relu-fused", 2.5),
    row("32x64x56x56 NCHW", [32, 64, 56, 56], "NCHW", "infer", "simd-relu-pass", 5),
    { ...row("32x64x56x56 NCHW", [32, 64, 56, 56], "NCHW", "infer", "tfjs-cpu", 1), status: "skipped" as const, stats: undefined, reason: "not measured by default: tens of seconds per call (pass --all)" },
  ];
  const r = report(rows);

  it("relates rows to their floor and to PyTorch", () => {
    expect(rows[1].ratioToCopy).toBe(1.5);
    expect(rows[1].speedupVsTorch).toBe(4);
  });

  it("relates the two-thread rows to PyTorch at two threads and checks issue 14's targets", () => {
    const w = "64x128x56x56 NCHW", shape = [64, 128, 56, 56];
    const threaded = [
      row(w, shape, "NCHW", "copy", "copy", 10),
      row(w, shape, "NCHW", "trainBackward", "simd-tensor", 40),
      row(w, shape, "NCHW", "trainBackward", "simd-threads2", 20),
      row(w, shape, "NCHW", "trainBackward", "torch", 160),
      row(w, shape, "NCHW", "trainBackward", "torch2", 50),
      row(w, shape, "NCHW", "train", "simd-tensor", 10),
      row(w, shape, "NCHW", "train", "simd-threads2", 12),
    ];
    relate(threaded);
    expect(threaded[1].speedupVsTorch).toBe(4);
    expect(threaded[2].speedupVsTorch).toBe(2.5);
    expect(threaded[4].speedupVsTorch).toBeUndefined();
    const checks = checkTargets(threaded, []).filter((c) => c.issue === 14);
    expect(checks.map((c) => [c.target, c.met, +c.measured.toFixed(3)])).toEqual([
      [1, true, 2], [3, true, 2], [2, true, 0.4], [3, false, 0.833],
    ]);
  });

  it("replaces only the README block between the markers", () => {
    const block = headlineMarkdown(r, "bench/results/ratios.svg", "docs/speed.md");
    expect(block.startsWith(START) && block.endsWith(END)).toBe(true);
    expect(block).toContain("| BatchNorm | 32x64x56x56 NCHW | training forward | 2.00 | 3.00 (1.50x) | n/m | n/m | 12.0 (6.00x) | 4.00x faster |");
    expect(block).toContain("| BatchNorm | 32x64x56x56 NCHW | training forward + backward | 2.00 | 10.0 (5.00x) | n/m | 100 (50.0x) | n/m | n/m |");
    expect(block.split("\n").filter((l) => l.startsWith("| BatchNorm"))).toHaveLength(2); // no simd-tensor row for inference here
    expect(block).toContain("Test CPU");
    expect(block).toContain("[docs/speed.md](docs/speed.md)");
    expect(block).toContain("ReLU pass in wasm (SIMD) over its output: 2.00x to 2.00x the speed (median 2.00x)");
    const readme = `# title\n\nbefore\n${START}\nold\n${END}\nafter\n`;
    expect(replaceBlock(readme, block)).toBe(`# title\n\nbefore\n${block}\nafter\n`);
    expect(() => replaceBlock("# no markers\n", block)).toThrow(/bench:start/);
  });

  it("gives each row its effective bandwidth next to the copy's", () => {
    const bytes = 32 * 64 * 56 * 56 * 4;
    expect(trafficBytes(rows[0])).toBe(2 * bytes);
    expect(trafficBytes(rows[3])).toBe(5 * bytes);
    expect(effectiveGBps(rows[1])).toBeCloseTo((2 * bytes) / 3e6, 9);
    const text = workloadTable(rows);
    expect(text).toContain(`floor: memory.copy of 24.5 MiB = 2.00 ms, ${((2 * bytes) / 2e6).toFixed(1)} GB/s`);
    expect(text).toMatch(/simd-tensor +3\.00 +3\.00-3\.00 +5 +1\.50x +17\.1 +4\.00x faster/);
    expect(text).toContain("tfjs-cpu: not measured by default");
  });

  it("writes every row, the fused ReLU's ratio and the run's header into docs/speed.md", () => {
    const md = speedMarkdown(r);
    expect(md).toContain("Generated by `npm run bench`");
    expect(md).toContain("`npm run bench`: a full run of 1 s (0.0 min); 1 rows not measured (not measured by default: tens of seconds per call (pass --all))");
    expect(md).toContain("### BatchNorm 32x64x56x56 NCHW");
    expect(md).toContain("| op | implementation | median ms | p25-p75 ms | n | x copy | GB/s | vs PyTorch |");
    expect(md).toContain("| training forward | simd-tensor | 3.00 | 3.00-3.00 | 5 | 1.50x | 17.1 | 4.00x faster |");
    expect(md).toContain("| training forward + backward | simd-tensor | 10.0 | 10.0-10.0 | 5 | 5.00x | 12.8 |  |");
    expect(md).toContain("| 32x64x56x56 NCHW | inference forward | 2.50 (1.25x) | 5.00 (2.50x) | 2.00x |");
    expect(md).toContain("The fused speed-up (the separate pair's median over the fused one's) is 2.00x to 2.00x, median 2.00x, over 1 workload-op pairs.");
    expect(md).toContain("| tfjs-cpu | not measured by default: tens of seconds per call (pass --all) |");
    const filtered = { ...r, filters: ["relu"], args: ["--filter", "relu", "--no-torch"] };
    expect(runDescription(filtered)).toMatch(/^`npm run bench -- --filter relu --no-torch`: a filtered run \("relu"\)/);
  });

  it("summarizes a raw results file in a few bytes a row", () => {
    const text = summaryJson(r, "a note");
    const parsed = JSON.parse(text);
    expect(parsed.summary).toBe("a note");
    expect(parsed.rows[1]).toEqual(["BatchNorm 32x64x56x56 NCHW train simd-tensor", 3, 3, 3, 5, 1.5]);
    expect(parsed.rows.at(-1)).toEqual([rows.at(-1)!.id, "not measured by default: tens of seconds per call (pass --all)"]);
    expect(text.split("\n").filter((l) => l.startsWith("  [")).length).toBe(rows.length);
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

describe("issue 13's targets", () => {
  it("check the channels-last, 2-D and family rows against the copy, and the 2-D rows against PyTorch", () => {
    const nhwc = "64x56x56x128 NHWC", shape = [64, 56, 56, 128];
    const rows = [
      row(nhwc, shape, "NHWC", "copy", "copy", 10),
      row(nhwc, shape, "NHWC", "train", "simd-tensor", 14),
      row(nhwc, shape, "NHWC", "trainBackward", "simd-tensor", 40),
      row("4096x512 2-D", [4096, 512], "NCHW", "copy", "copy", 1),
      row("4096x512 2-D", [4096, 512], "NCHW", "train", "simd-tensor", 3),
      row("4096x512 2-D", [4096, 512], "NCHW", "train", "torch", 4),
      { ...row("32x56x56x64 NHWC, 32 groups", [32, 56, 56, 64], "NHWC", "copy", "copy", 1), family: "GroupNorm" },
      { ...row("32x56x56x64 NHWC, 32 groups", [32, 56, 56, 64], "NHWC", "train", "simd-tensor", 1.7), family: "GroupNorm" },
    ];
    relate(rows);
    const checks = checkTargets(rows, []).filter((c) => c.issue === 13);
    const got = (what: string, unit: string) => checks.find((c) => c.what === what && c.unit === unit)!;
    expect(got("BatchNorm 64x56x56x128 NHWC training forward", "x copy")).toMatchObject({ target: 2, measured: 1.4, limit: 1.5, met: true });
    expect(got("BatchNorm 64x56x56x128 NHWC training forward + backward", "x copy")).toMatchObject({ target: 2, measured: 4, limit: 3.5, met: false });
    expect(got("BatchNorm 4096x512 2-D training forward", "x copy")).toMatchObject({ target: 3, measured: 3, limit: 2.5, met: false });
    expect(got("BatchNorm 4096x512 2-D training forward", "x PyTorch's time")).toMatchObject({ target: 3, measured: 0.75, limit: 0.6, met: false });
    expect(got("GroupNorm 32x56x56x64 NHWC, 32 groups training forward", "x copy")).toMatchObject({ target: 6, measured: 1.7, limit: 1.8, met: true });
  });
});

describe("rows measured only with --all", () => {
  // Building cases does not touch the backends (prepare does), so an empty context serves.
  const cases = layerNormFamily.workloads.flatMap((w) => layerNormFamily.cases(w, {} as BenchContext));
  const stock = (label: string) => cases.filter((c) => c.workload.label === label && /^tfjs-(cpu|wasm)-layer$/.test(c.impl));

  it("TF.js's own layer norm runs by default at 8x197x768 and only with --all at 64x197x768; ours always", () => {
    const byDefault = parseOptions([]), all = parseOptions(["--all"]);
    expect(stock("8x197x768").length).toBe(2);
    expect(stock("64x197x768").length).toBe(2);
    for (const c of stock("8x197x768")) expect(skipReason(c, byDefault)).toBeUndefined();
    for (const c of stock("64x197x768")) {
      expect(skipReason(c, byDefault)).toMatch(/--all/);
      expect(skipReason(c, all)).toBeUndefined();
    }
    const ours = cases.filter((c) => c.impl.endsWith("-layer-ours"));
    expect(ours.length).toBe(4);
    for (const c of ours) expect(skipReason(c, byDefault)).toBeUndefined();
  });
});
