// Times one prepared case with tinybench (warm-up on). Rows fast enough get a time budget;
// slow ones (pure JS, TF.js on big shapes) get a few calls instead, chosen from one
// untimed first call, so the whole run stays within minutes.
import { Bench } from "tinybench";
import type { Pace, Prepared } from "./case.js";
import { summarize, type Summary } from "./stats.js";

export interface Budget {
  /** Time budget per row (ms) for rows whose calls fit it comfortably. */
  readonly timeMs: number;
  /** Minimum timed calls. */
  readonly minSamples: number;
  /** Warm-up budget before timing (ms). */
  readonly warmupMs: number;
  /** Total timed budget for slow rows (ms): calls = budget / first call, at least minSlowSamples. */
  readonly slowBudgetMs: number;
  readonly minSlowSamples: number;
  /**
   * A first call at least this long (ms) gets one timed call after it: TF.js's own layers in
   * training take 19 s (cpu) to minutes (wasm) per call at 64x197x768, and minSlowSamples of
   * them would take the better part of an hour for one row.
   */
  readonly oneSampleMs: number;
}

export const FULL: Budget = { timeMs: 1000, minSamples: 10, warmupMs: 200, slowBudgetMs: 2500, minSlowSamples: 3, oneSampleMs: 30_000 };
export const QUICK: Budget = { timeMs: 100, minSamples: 5, warmupMs: 30, slowBudgetMs: 250, minSlowSamples: 2, oneSampleMs: 3_000 };

/** Timing samples (ms) of one prepared case. */
export async function measureSamples(prepared: Prepared, pace: Pace, budget: Budget): Promise<number[]> {
  let async = false;
  const timeOne = async () => {
    const t0 = performance.now();
    const done = prepared.run();
    async ||= done instanceof Promise;
    await done;
    return performance.now() - t0;
  };
  // The first call compiles and allocates (TF.js sets up its kernels); unless it alone is
  // long, a second call gives the estimate of a call that picks the number of calls.
  const first = await timeOne();
  const long = first >= budget.slowBudgetMs / 2;
  const estimate = long ? first : Math.min(first, await timeOne());
  const fitsBudget = pace === "fast" && estimate * budget.minSamples <= budget.timeMs;
  const options = fitsBudget
    ? { time: budget.timeMs, iterations: budget.minSamples, warmup: true, warmupTime: budget.warmupMs, warmupIterations: 3 }
    : {
        time: 0,
        iterations: first >= budget.oneSampleMs
          ? 1
          : Math.max(budget.minSlowSamples, Math.floor(budget.slowBudgetMs / Math.max(estimate, 1e-3))),
        // A call as long as half the budget has had its warm-up: the first call.
        warmup: !long,
        warmupTime: 0,
        warmupIterations: 1,
      };
  const bench = new Bench({ ...options, retainSamples: true, throws: true });
  // An async row goes to tinybench as an async function, which it knows without the probe
  // call it makes of a plain one (a call it does not await: model.fit would overlap itself);
  // a synchronous row stays a plain function, free of a promise per call.
  bench.add("row", async ? async () => void (await prepared.run()) : () => void prepared.run());
  await bench.run();
  const result = bench.tasks[0].result;
  if (result.state !== "completed") throw new Error(`tinybench: the row ended in state ${result.state}`);
  const samples = result.latency.samples;
  if (!samples || samples.length === 0) throw new Error("tinybench kept no samples");
  return [...samples];
}

export async function measure(prepared: Prepared, pace: Pace, budget: Budget): Promise<Summary> {
  return summarize(await measureSamples(prepared, pace, budget));
}
