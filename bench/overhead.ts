// Target 5: the wrapper's own cost per call. The module call through tensors and the raw
// kernel calls it makes run alternately, in rounds; each round gives one difference, so
// slow drift of a shared machine cancels. Reported in microseconds.
import { OP_NAMES, type Case, type Prepared } from "./case.js";
import type { OverheadResult } from "./results.js";
import { summarize, type Summary } from "./stats.js";

export function pairedOverhead(module: Prepared, raw: Prepared, rounds: number): Summary {
  for (let i = 0; i < Math.min(50, rounds); i++) {
    module.run();
    raw.run();
  }
  const diffs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // Alternate which goes first, so neither always finds the other's data in cache.
    const moduleFirst = (i & 1) === 0;
    const a = performance.now();
    if (moduleFirst) module.run();
    else raw.run();
    const b = performance.now();
    if (moduleFirst) raw.run();
    else module.run();
    const c = performance.now();
    const moduleMs = moduleFirst ? b - a : c - b;
    const rawMs = moduleFirst ? c - b : b - a;
    diffs.push((moduleMs - rawMs) * 1000);
  }
  return summarize(diffs);
}

/** The paired overhead of every op on the planned workloads that have raw-kernel rows. */
export async function measureOverheads(
  plan: ReadonlyArray<{ readonly w: { readonly label: string }; readonly cases: readonly Case[] }>, rounds: number,
): Promise<OverheadResult[]> {
  const results: OverheadResult[] = [];
  for (const { w, cases } of plan) {
    for (const op of OP_NAMES) {
      const module = cases.find((c) => c.op === op && c.impl === "simd-tensor");
      const raw = cases.find((c) => c.op === op && c.impl === "simd-raw");
      if (!module || !raw) continue;
      const [a, b] = [await module.prepare(), await raw.prepare()];
      try {
        results.push({ workload: w.label, op, stats: pairedOverhead(a, b, rounds) });
      } finally {
        a.dispose();
        b.dispose();
      }
    }
  }
  return results;
}
