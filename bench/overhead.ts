// Target 5: the wrapper's own cost per call, from the wrapper-only rows (a module on a
// backend whose kernels do nothing; see runners/wrapper-only.ts): each call timed on its
// own, in microseconds.
import { OP_NAMES, type Case, type Prepared } from "./case.js";
import type { OverheadResult } from "./results.js";
import { summarize, type Summary } from "./stats.js";

export function perCallMicroseconds(wrapper: Prepared, rounds: number): Summary {
  for (let i = 0; i < Math.min(200, rounds); i++) wrapper.run();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const a = performance.now();
    wrapper.run();
    times.push((performance.now() - a) * 1000);
  }
  return summarize(times);
}

/** The wrapper's cost for every op on the planned workloads that have wrapper-only rows. */
export async function measureOverheads(
  plan: ReadonlyArray<{ readonly w: { readonly label: string }; readonly cases: readonly Case[] }>, rounds: number,
): Promise<OverheadResult[]> {
  const results: OverheadResult[] = [];
  for (const { w, cases } of plan) {
    for (const op of OP_NAMES) {
      const wrapper = cases.find((c) => c.op === op && c.impl === "simd-wrapper");
      if (!wrapper) continue;
      const prepared = await wrapper.prepare();
      try {
        results.push({ workload: w.label, op, stats: perCallMicroseconds(prepared, rounds) });
      } finally {
        prepared.dispose();
      }
    }
  }
  return results;
}
