// Command-line options of `npm run bench -- [options]`.
export interface Options {
  /** Small shapes and short budgets: a smoke run within a minute. */
  readonly quick: boolean;
  /** Only rows whose name contains one of these (the floor of their workload always runs). */
  readonly filters: readonly string[];
  /** Also the rows left out by default because one call takes tens of seconds or more (TF.js cpu on the 56x56 shapes, TF.js's own layer norm beyond 8x197x768). */
  readonly all: boolean;
  /** Run bench/torch_bench.py (default: when /usr/bin/python3 can import torch). */
  readonly torch: boolean;
  /** Full, unfiltered runs rewrite docs/speed.md, the chart and the README table (and latest.json). */
  readonly publish: boolean;
}

export const USAGE = `usage: npm run bench -- [--quick] [--filter <substring>]... [--all] [--no-torch]
  --quick            small shapes, short time budgets (about a minute)
  --filter <text>    only rows whose name contains <text> (case-insensitive; repeat it for
                     rows matching any), e.g. --filter "32x56x56x64 NHWC" or --filter tfjs-wasm
  --all              include the rows left out by default (TF.js cpu on the 56x56 shapes, TF.js's own layer
                     norm beyond 8x197x768: tens of seconds to minutes per call)
  --no-torch         skip the PyTorch rows
Row names read "<family> <shape> <layout> <op> <implementation>", e.g.
  "BatchNorm 32x64x56x56 NCHW trainBackward simd-tensor" (NHWC shapes are N,H,W,C:
  "32x56x56x64 NHWC"; 2-D: "256x1024 2-D"; ops: train, infer, trainBackward).
A full unfiltered run writes docs/speed.md (every row), the README's headline table and
bench/results/ratios.svg, and its raw figures to bench/results/latest.json (not committed);
--quick and --filter runs write bench/results/partial.json only (not committed).`;

export function parseOptions(argv: readonly string[]): Options {
  let quick = false, all = false, torch = true;
  const filters: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--quick") quick = true;
    else if (arg === "--all") all = true;
    else if (arg === "--no-torch") torch = false;
    else if (arg === "--filter" || arg.startsWith("--filter=")) {
      const value = arg === "--filter" ? argv[++i] : arg.slice("--filter=".length);
      if (value === undefined || value === "") throw new Error(`bench: --filter needs a substring\n${USAGE}`);
      filters.push(value.toLowerCase());
    } else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else {
      throw new Error(`bench: unknown option ${arg}\n${USAGE}`);
    }
  }
  return { quick, filters, all, torch, publish: !quick && filters.length === 0 };
}

export function matchesFilters(options: Options, id: string): boolean {
  if (options.filters.length === 0) return true;
  const name = id.toLowerCase();
  return options.filters.some((f) => name.includes(f));
}
