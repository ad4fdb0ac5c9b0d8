// Tolerance checks: error relative to the largest reference magnitude, as the issue states
// them, with the worst error per quantity kept for the report printed after the run.
import { expect } from "vitest";
import { addToDigest } from "./digest.js";

export const worstErrors = new Map<string, number>();

/** max |actual - expected| / max |expected| (or absolute when expected is all zeros). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0, worst = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i] - expected[i]);
    worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
  }
  return scale > 0 ? worst / scale : worst;
}

/** Asserts the relative error is within tol; records it under `quantity`. */
export function expectClose(actual: ArrayLike<number> | null | undefined, expected: ArrayLike<number>, tol: number, label: string, quantity?: string): void {
  expect(actual, `${label}: missing`).toBeTruthy();
  expect(actual!.length, `${label}: length`).toBe(expected.length);
  addToDigest(actual!);
  const err = relativeError(actual!, expected);
  if (quantity) worstErrors.set(quantity, Math.max(worstErrors.get(quantity) ?? 0, err));
  expect(err, `${label}: relative error ${err.toExponential(2)} over tolerance ${tol}`).toBeLessThanOrEqual(tol);
}
