// Bugs the property suites found, each pinned by the smallest case that showed it, on every
// backend (the reference defines the expected values).
import { describe, expect, it } from "vitest";
import { BatchNorm1d, createBackend, createReferenceBackend, type Backend } from "../../src/index.js";

const BACKENDS: Array<[string, () => Backend]> = [
  ["simd", () => createBackend({ simd: true })],
  ["scalar", () => createBackend({ simd: false })],
  ["reference", () => createReferenceBackend()],
];

describe.each(BACKENDS)("%s backend", (_name, make) => {
  it("eval with eps = 0 and a zero running variance divides by zero: +-Infinity, NaN only where x equals the mean", () => {
    // The forward's offset was bias - (mean - shift) * scale with scale = Infinity, so
    // 0 * Infinity made every output NaN although (x - mean) / 0 is +-Infinity.
    const m = new BatchNorm1d(2, { backend: make(), eps: 0 });
    m.runningMean!.set([1.5, -2]);
    m.runningVar!.set([0, 0]);
    m.weight!.set([1, -3]);
    m.bias!.set([0.5, 0]);
    m.eval();
    const y = m.forward(Float32Array.from([1, -3, 2, -2, 1.5, 4]), [3, 2]);
    expect(Array.from(y)).toEqual([-Infinity, Infinity, Infinity, NaN, NaN, -Infinity]);
  });
});
