// Bugs the property suites found, each pinned by the smallest case that showed it, on every
// backend (the reference defines the expected values).
import { describe, expect, it } from "vitest";
import {
  BatchNorm1d, GroupNorm, LayerNorm, createBackend, createReferenceBackend, layerNorm, layerNormBackward, type Backend,
} from "../../src/index.js";
import { relativeError } from "../helpers/compare.js";
import { gaussian, seededRandom } from "../helpers/random.js";

const BACKENDS: Array<[string, () => Backend]> = [
  ["simd", () => createBackend({ simd: true })],
  ["scalar", () => createBackend({ simd: false })],
  ["reference", () => createReferenceBackend()],
];

/** n values of std `scale` around `mean`, float32. */
function values(n: number, mean: number, scale: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n }, () => mean + scale * gaussian(rand));
}

/** A family module's forward and backward on a backend. */
function run(make: (backend: Backend) => LayerNorm | GroupNorm, backend: Backend, x: Float32Array, shape: number[], dy: Float32Array) {
  const m = make(backend);
  const y = m.forward(x, shape);
  return { y, ...m.backward(dy) };
}

/** Each quantity within 1e-5 of the reference's largest magnitude. */
function expectLikeReference(got: ReturnType<typeof run>, want: ReturnType<typeof run>) {
  for (const q of ["y", "dx", "dweight", "dbias"] as const) {
    if (want[q] === null) continue;
    const err = relativeError(got[q]!, want[q]!);
    expect(err, `${q}: relative error ${err}`).toBeLessThanOrEqual(1e-5);
  }
}

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

  it("layer norm over values near the float32 limits: statistics summed again in f64 when the f32 squares overflow", () => {
    // Rows of 1024 values with std 1e36 gave y = 0 (the f32 sum of squares was Infinity), and
    // a row around 2e38 gave NaN (its f32 pilot sum overflowed).
    for (const [mean, std] of [[0, 1e36], [2e38, 1e36], [-5e37, 1e37]]) {
      const x = values(2 * 1024, mean, std, 7), dy = values(2 * 1024, 0, 1, 8);
      const ln = (backend: Backend) => new LayerNorm(1024, { backend });
      expectLikeReference(run(ln, make(), x, [2, 1024], dy), run(ln, createReferenceBackend(), x, [2, 1024], dy));
    }
  });

  it("layer and group norm backward with a std far above 1e19: dx keeps its xhat term", () => {
    // dx = a * dy + b * (x - shift) + k with b ~ dy / var underflowed to 0 in f32 once the std
    // passed ~1e19 (dx was 14% off here); b is now ~ dy / std and invstd multiplies last.
    const x = values(2 * 11, 3e36, 1e36, 9), dy = values(2 * 11, 0.5, 1, 10);
    const ln = (backend: Backend) => new LayerNorm(11, { backend });
    expectLikeReference(run(ln, make(), x, [2, 11], dy), run(ln, createReferenceBackend(), x, [2, 11], dy));
    const xg = values(2 * 4 * 9, 0, 1e30, 11), dyg = values(2 * 4 * 9, 0, 1, 12);
    const gn = (backend: Backend) => new GroupNorm(2, 4, { backend });
    expectLikeReference(run(gn, make(), xg, [2, 4, 9], dyg), run(gn, createReferenceBackend(), xg, [2, 4, 9], dyg));
  });

  it("layer norm backward sums of dy * (x - mean) beyond the f32 range are summed again in f64", () => {
    // Values of std 1e37 and gradients of std 1e6: the f32 lane sums of dy * (x - center) overflow.
    const x = values(3000, 0, 1e37, 13), dy = values(3000, 0, 1e6, 14);
    const got = layerNorm(x, [1, 3000], 3000, { backend: make() });
    const want = layerNorm(x, [1, 3000], 3000, { backend: createReferenceBackend() });
    const g = layerNormBackward(dy, x, [1, 3000], 3000, { backend: make(), saveMean: got.saveMean, saveInvstd: got.saveInvstd });
    const w = layerNormBackward(dy, x, [1, 3000], 3000, { backend: createReferenceBackend(), saveMean: want.saveMean, saveInvstd: want.saveInvstd });
    expect(relativeError(g.dx, w.dx)).toBeLessThanOrEqual(1e-5);
    expect(g.dx.every(Number.isFinite)).toBe(true);
  });
});
