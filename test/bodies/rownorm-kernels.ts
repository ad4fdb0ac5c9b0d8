// The row-norm kernels against the pure-JS reference (float64 throughout, itself checked by
// the fixtures) where the fixtures are too small to reach: rows longer than a statistics
// piece, every short length of the all-f64 backward and its edge, every combination of the
// optional parameters, values far from zero, many rows (the f32 block sums' flushes).
import { describe, it } from "../helpers/test-api.js";
import {
  addLayerNorm, addLayerNormBackward, addRmsNorm, addRmsNormBackward, createReferenceBackend, rmsNorm, rmsNormBackward,
  type Backend,
} from "../../src/index.js";
import { expectClose } from "../helpers/compare.js";
import { gaussian, seededRandom } from "../helpers/random.js";

const TOL = 1e-4;

function values(seed: number, n: number, scale: number, offset: number): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n }, () => offset + scale * gaussian(rand));
}

/** [label, R, L, value scale, offset]. */
const SHAPES: ReadonlyArray<readonly [string, number, number, number, number]> = [
  ["rows of 5000 (three statistics pieces)", 3, 5000, 2, 0.5],
  ["rows of 4096 at 1e4 with std 1e-2", 2, 4096, 1e-2, 1e4],
  ["100 rows of 24 (four flushes of the block sums)", 100, 24, 1, 0],
  ...[1, 2, 3, 7, 8, 9, 13].map((L) => [`rows of ${L}`, 11, L, 1.5, 0.3] as const),
];

/** Which optional inputs a call gets: [weight, bias (layer norm only), addBias, dsum]. */
const PARAMS: ReadonlyArray<readonly [boolean, boolean, boolean, boolean]> = [
  [true, true, true, true], [false, false, false, false], [true, false, false, true], [false, true, true, false],
];

export function rowNormKernelSuite(makeBackend: () => Backend): void {
  describe("row-norm kernels against the float64 reference", () => {
    for (const [label, R, L, scale, offset] of SHAPES) {
      it(label, () => {
        const backend = makeBackend(), ref = createReferenceBackend();
        const shape = [R, L], n = R * L;
        const x = values(R * 31 + L, n, scale, offset), residual = values(L * 7 + 1, n, scale, 0.1);
        const dy = values(L + 5, n, 1, 0), dsumAll = values(L + 9, n, 1, 0);
        const w = values(L + 3, L, 0.5, 1), b = values(L + 4, L, 0.3, 0), ab = values(L + 6, L, 0.3, 0);
        PARAMS.forEach(([hasW, hasB, hasAB, hasDsum], p) => {
          const weight = hasW ? w : null, bias = hasB ? b : null, addBias = hasAB ? ab : null, dsum = hasDsum ? dsumAll : null;
          const at = (op: string, what: string) => `${label}, parameters ${p}: ${op} ${what}`;
          const both = <T>(call: (on: Backend) => T): [T, T] => [call(backend), call(ref)];

          const [r, e] = both((on) => rmsNorm(x, shape, L, { weight, backend: on }));
          expectClose(r.y, e.y, TOL, at("rmsNorm", "y"));
          expectClose(r.saveInvRms, e.saveInvRms, TOL, at("rmsNorm", "saveInvRms"));
          const [g, f] = both((on) => rmsNormBackward(dy, x, shape, L, { weight, backend: on }));
          expectClose(g.dx, f.dx, TOL, at("rmsNormBackward", "dx"));
          if (weight) expectClose(g.dweight, f.dweight!, TOL, at("rmsNormBackward", "dweight"));

          const [a, c] = both((on) => addLayerNorm(x, residual, shape, L, { weight, bias, addBias, backend: on }));
          expectClose(a.sum, c.sum, TOL, at("addLayerNorm", "sum"));
          expectClose(a.y, c.y, TOL, at("addLayerNorm", "y"));
          expectClose(a.saveInvstd, c.saveInvstd, TOL, at("addLayerNorm", "saveInvstd"));
          const [ga, gc] = both((on) => addLayerNormBackward(dy, c.sum, shape, L, { dsum, weight, backend: on }));
          for (const k of ["dx", "dbias", "daddBias"] as const) expectClose(ga[k], gc[k], TOL, at("addLayerNormBackward", k));
          if (weight) expectClose(ga.dweight, gc.dweight!, TOL, at("addLayerNormBackward", "dweight"));

          const [q, s] = both((on) => addRmsNorm(x, residual, shape, L, { weight, addBias, backend: on }));
          expectClose(q.y, s.y, TOL, at("addRmsNorm", "y"));
          expectClose(q.saveInvRms, s.saveInvRms, TOL, at("addRmsNorm", "saveInvRms"));
          const [gq, gs] = both((on) => addRmsNormBackward(dy, s.sum, shape, L, { dsum, weight, saveInvRms: s.saveInvRms, backend: on }));
          for (const k of ["dx", "daddBias"] as const) expectClose(gq[k], gs[k], TOL, at("addRmsNormBackward", k));
          if (weight) expectClose(gq.dweight, gs.dweight!, TOL, at("addRmsNormBackward", "dweight"));
        });
      });
    }
  });
}
