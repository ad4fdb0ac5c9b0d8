// How the property suites compare a wasm build with the float64 reference, quantity by
// quantity. Every check is relative to a scale that says how large the numbers involved in
// that quantity are, taken per normalization unit (channel, group, plane or row) or per
// parameter, never over the whole tensor: a channel of values near 1e37 must not hide an
// error in a channel of values near 1, and the reverse.
//
// The scales (all from the reference, never from the result under test):
// - y: the largest of |y_ref|, |xhat * w| and |b| over the unit (before a fused ReLU). The
//   kernels compute y = xhat * w + b in float32 from float32 coefficients, so its error is a
//   few roundings of those terms (which can cancel, e.g. a bias near -xhat * w), plus the
//   error of the statistics.
// - dx: the largest of |dx_ref| and |w * invstd * dy| over the unit. In training dx is a
//   difference of terms of the size |w * invstd * dy| that cancel when dy is (nearly)
//   constant or proportional to xhat; float32 arithmetic cannot resolve dx below a rounding
//   of those terms, whatever its own size.
// - dweight, dbias: the sums of |dy| * (|xhat| + 1) and |dy| over the parameter's elements:
//   each is a sum of terms of both signs whose rounding error is relative to the sum of
//   magnitudes, and xhat is known to about u absolutely (the mean is accurate relative to the
//   std), not relative to xhat: hence the + 1.
// - running mean / variance: |old| + |new| of the reference, which bounds both terms of
//   (1 - m) * old + m * batch (they can cancel only if both are at most that large), plus
//   m * the unit's largest |x| for the mean (a batch mean of values of both signs is
//   accurate relative to their size, not to the mean).
// - saveMean: the unit's largest |x|; saveInvstd: the reference's invstd itself.
// - An absolute floor is added only where float32 cannot represent the answer more finely:
//   FLOOR everywhere, for results in the subnormal range (below 2^-126 ~ 1.2e-38), where a
//   float32 result is a multiple of 2^-149 whatever the arithmetic; and for the quantities
//   made of products dy * (x - mean) formed in float32 (dweight, and dx through it), the
//   subnormal quantum 2^-149 of each such product, scaled as the kernels scale the sum
//   (times invstd); and the quantum of float32 coefficients (the scale |w| / std of y, the
//   backward's x coefficient) where they are subnormal (forwardScales, backwardScales in
//   common.ts). These floors only matter in the subnormal range: subnormal inputs, dy ~ 1e-30
//   on a unit of std 1e-18 with eps = 0, a std near 1e38.
// Non-finite reference values: NaN (0 / 0 with eps = 0 on a constant unit) must come out
// NaN; an infinity means the exact value is beyond the float32 range (the running variance
// of values near 1e37) or a division by zero (eps = 0, zero running variance), and the result
// must then be non-finite too, of either sign or NaN: float32 intermediates overflow first.
// Cases outside the kernels' domain (var + eps below 2^-126, only possible with eps = 0;
// common.ts inDomain) are skipped with fc.pre and reported as skipped.
//
// The tolerance is one number per build, from how the kernels sum: every reduction (sums
// of x - center and its squares for the statistics, of dy and dy * (x - center) for the
// backward) runs over chunks of at most 2048 floats in float32 accumulators, widened to
// float64 between chunks (assembly/layout.ts, stats.ts, rowstats.ts, backward.ts). A float32
// sum of n terms is within (n - 1) u of the sum of their magnitudes (u = 2^-24 ~ 6e-8), and
// y, dx, dweight, dbias, the running statistics and the saved statistics inherit that
// relative error (y through the mean and invstd, at most about 1.5 times it, plus a few
// roundings of the output):
// - scalar build: one or two accumulators run over a whole chunk, n up to 2048:
//   2048 u = 1.2e-4, so 1.25e-4;
// - SIMD build: eight lanes of at most 256 terms (rows: one accumulator per column over 128
//   rows), 256 u = 1.5e-5, so 3e-5.
// These are worst-case bounds; the errors measured over long runs are 5 to 40 times smaller
// (worstRatios, printed after each suite; docs/failure-model.md quotes both).

export type BuildName = "simd" | "scalar";

/** The tolerance of every compared quantity, relative to its scale, per build. */
export const TOL: Readonly<Record<BuildName, number>> = { simd: 3e-5, scalar: 1.25e-4 };

/** 16 subnormal units (2^-149 each): the resolution float32 has below 2^-126. */
export const FLOOR = 16 * 2 ** -149;

/** Worst err / scale per quantity over a run, for the report after the suite. */
export const worstRatios = new Map<string, number>();

function record(quantity: string, ratio: number): void {
  if (ratio > (worstRatios.get(quantity) ?? 0)) worstRatios.set(quantity, ratio);
}

const show = (v: number) => (Number.isFinite(v) ? v.toPrecision(9) : String(v));

/** A result that is not within tolerance: the message says where and by how much. */
export class Mismatch extends Error {}

/**
 * Checks got against want element by element: |got - want| <= tol * scale[unitOf(i)] + FLOOR,
 * where scale[u] is the largest finite |want| of unit u, raised to extraScale[u] if given.
 * Non-finite want values must be matched exactly.
 */
export function checkUnits(
  label: string, quantity: string, got: ArrayLike<number>, want: ArrayLike<number>,
  units: number, unitOf: (i: number) => number, tol: number, extraScale?: ArrayLike<number>, floor?: ArrayLike<number>,
): void {
  if (got.length !== want.length) throw new Mismatch(`${label}: length ${got.length}, expected ${want.length}`);
  const scale = new Float64Array(units);
  if (extraScale) for (let u = 0; u < units; u++) scale[u] = extraScale[u];
  for (let i = 0; i < want.length; i++) {
    const a = Math.abs(want[i]);
    if (Number.isFinite(a)) {
      const u = unitOf(i);
      if (a > scale[u]) scale[u] = a;
    }
  }
  for (let i = 0; i < want.length; i++) {
    const w = want[i], g = got[i];
    if (!Number.isFinite(w)) {
      // NaN must stay NaN; an infinity (the exact value is beyond float32) must be non-finite.
      if (Number.isNaN(w) ? !Number.isNaN(g) : Number.isFinite(g)) {
        throw new Mismatch(`${label}[${i}] (unit ${unitOf(i)}): got ${show(g)}, expected ${show(w)}`);
      }
      continue;
    }
    const u = unitOf(i), err = Math.abs(g - w);
    const allowed = tol * scale[u] + FLOOR + (floor ? floor[u] : 0);
    if (scale[u] > 0 && err > FLOOR + (floor ? floor[u] : 0)) record(quantity, err / scale[u]);
    if (!(err <= allowed)) {
      throw new Mismatch(
        `${label}[${i}] (unit ${unitOf(i)}): got ${show(g)}, expected ${show(w)}: error ${err.toExponential(3)} is ` +
          `${(err / scale[u]).toExponential(3)} of the unit's scale ${scale[u].toExponential(3)}, over the tolerance ${tol}` +
          (floor ? ` (plus the floor ${(FLOOR + floor[u]).toExponential(3)})` : ""),
      );
    }
  }
}

/** Per-index scales: |got[i] - want[i]| <= tol * scale[i] + FLOOR (scale[i] at least |want[i]|). */
export function checkScalars(
  label: string, quantity: string, got: ArrayLike<number> | null, want: ArrayLike<number> | null,
  tol: number, scale?: ArrayLike<number>, floor?: ArrayLike<number>,
): void {
  if (want === null || got === null) {
    if (want !== got) throw new Mismatch(`${label}: got ${got === null ? "null" : "an array"}, expected ${want === null ? "null" : "an array"}`);
    return;
  }
  checkUnits(label, quantity, got, want, want.length, (i) => i, tol, scale, floor);
}

/** Checks of one build at one place in a case: labels, quantities and the build's tolerance filled in. */
export function checker(build: BuildName, where: string) {
  const tol = TOL[build];
  return {
    units(q: string, got: ArrayLike<number>, want: ArrayLike<number>, units: number, unitOf: (i: number) => number,
      scale?: ArrayLike<number>, floor?: ArrayLike<number>): void {
      checkUnits(`${where} ${build} ${q}`, `${q} (${build})`, got, want, units, unitOf, tol, scale, floor);
    },
    scalars(q: string, got: ArrayLike<number> | null, want: ArrayLike<number> | null, scale?: ArrayLike<number>, floor?: ArrayLike<number>): void {
      checkScalars(`${where} ${build} ${q}`, `${q} (${build})`, got, want, tol, scale, floor);
    },
    equal(q: string, got: unknown, want: unknown): void {
      if (got !== want) throw new Mismatch(`${where} ${build} ${q}: ${String(got)}, expected ${String(want)}`);
    },
  };
}
