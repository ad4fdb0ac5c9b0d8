// What the demo's training panel claims, as assertions on a run's recorded curves: shared by
// the page test in Chromium (test/demo.e2e.test.ts) and the Node runs over several seeds
// (test/demo-training.test.ts).
import { expect } from "vitest";
import { firstReaching, TARGET_ACCURACY, type Snapshot } from "../../examples/browser/src/comparison.js";

/**
 * The batch-norm network ends at TARGET_ACCURACY or better, more than 0.1 ahead of the plain
 * one, and reached TARGET_ACCURACY at least steps / 3 steps sooner (the plain one may never
 * have). Returns the two first steps (null: never).
 */
export function expectBatchNormAhead(curves: readonly Snapshot[], steps: number, label: string) {
  const first = curves[0];
  const last = curves[curves.length - 1];
  expect(last.step, `${label}: the last evaluation`).toBe(steps);
  expect(last.withBn.accuracy, `${label}: final test accuracy with batch norm`).toBeGreaterThanOrEqual(TARGET_ACCURACY);
  expect(last.withBn.accuracy - last.withoutBn.accuracy, `${label}: batch norm's lead in final test accuracy`).toBeGreaterThan(0.1);
  expect(last.withBn.loss, `${label}: final test loss with batch norm`).toBeLessThan(first.withBn.loss / 4);
  const withBn = firstReaching(curves, "withBn");
  const withoutBn = firstReaching(curves, "withoutBn");
  expect(withBn, `${label}: first step at ${TARGET_ACCURACY} with batch norm`).not.toBeNull();
  expect((withoutBn ?? Infinity) - withBn!, `${label}: steps batch norm reaches ${TARGET_ACCURACY} ahead of the plain network`).toBeGreaterThanOrEqual(steps / 3);
  return { withBn: withBn!, withoutBn };
}
