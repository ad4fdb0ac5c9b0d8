// The demo page's training comparison (examples/browser/src/comparison.ts) run headlessly in
// Node: its story holds for the page's seed and for others (the setting was not picked for one
// lucky seed), the two networks really start equal, and a run is deterministic.
import { describe, expect, it } from "vitest";
import { Comparison, DEMO_SETTING, type Snapshot } from "../examples/browser/src/comparison.js";
import { expectBatchNormAhead } from "./helpers/demo-story.js";

function curvesOf(seed: number): Snapshot[] {
  const run = new Comparison({ ...DEMO_SETTING, seed });
  try {
    return [...run.run()];
  } finally {
    run.dispose();
  }
}

describe("demo training comparison", () => {
  const pageCurves = curvesOf(DEMO_SETTING.seed);

  it("starts both networks from the same weights: equal test loss and accuracy at step 0", () => {
    expect(pageCurves[0].step).toBe(0);
    expect(pageCurves[0].withBn.accuracy).toBe(pageCurves[0].withoutBn.accuracy);
    // Batch norm at initialization in inference mode (running mean 0, variance 1) is the
    // identity up to eps, so the logits, hence the losses, agree closely but not bit for bit.
    expect(pageCurves[0].withBn.loss).toBeCloseTo(pageCurves[0].withoutBn.loss, 3);
  });

  it("is deterministic: the same seed gives the same curves", () => {
    expect(curvesOf(DEMO_SETTING.seed)).toEqual(pageCurves);
  });

  it.each([DEMO_SETTING.seed, 2, 3])("seed %i: the batch-norm network learns the spirals, sooner and better", (seed) => {
    expectBatchNormAhead(seed === DEMO_SETTING.seed ? pageCurves : curvesOf(seed), DEMO_SETTING.steps, `seed ${seed}`);
  });
});
