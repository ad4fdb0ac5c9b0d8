// Value distributions of the property suites: each normalization unit (a batch-norm
// channel, a group-norm (sample, group), an instance-norm plane, a layer-norm row) draws its
// values from one kind, chosen by fast-check; the values themselves come from a seeded
// generator, so a counterexample is a short description (shape, options, kinds, seed) that
// reproduces exactly, instead of thousands of floats.
import fc from "fast-check";
import { gaussian, seededRandom } from "../helpers/random.js";

/**
 * The kinds that break naive kernels, plus ordinary ones:
 * - normal: mean in [-3, 3], std in [0.1, 3];
 * - offset: mean 1e4, std 1e-2 (one-pass f32 sums of squares lose every digit);
 * - constant: one value repeated (zero variance: y must come out as exactly the bias);
 * - zeros;
 * - huge: magnitudes up to ~5e37 (squares overflow f32; differences stay below 3.4e38);
 * - edge: 2e38 + 1e36 * z, a channel pressed against the float32 limit on one side;
 * - denormal: subnormal float32 values (|x| < 1.2e-38);
 * - tiny: std 1e-18 around 1e-17 (far below any eps; with eps = 0 their 1 / std is 1e18);
 * - mixed: each value from one of the others (outliers inside a unit).
 * Within a unit the spread (max - min) stays below the float32 maximum 3.4e38, so x - mean
 * is a float32 number: the domain the kernels promise (see docs/failure-model.md).
 */
export const VALUE_KINDS = ["normal", "offset", "constant", "zeros", "huge", "edge", "denormal", "tiny", "mixed"] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

/**
 * Kinds of incoming gradient dy per unit: ordinary, scaled far up (1e15: with 1 / std up to
 * 1e19 the backward's coefficients stay in float32) or down (1e-30), constant, zero, sparse.
 */
export const GRAD_KINDS = ["normal", "large", "small", "constant", "zeros", "sparse"] as const;
export type GradKind = (typeof GRAD_KINDS)[number];

/** Ordinary kinds are drawn more often than each hostile one, but every kind appears in most runs. */
export const valueKind: fc.Arbitrary<ValueKind> = fc.oneof(
  { arbitrary: fc.constant("normal" as const), weight: 6 },
  { arbitrary: fc.constantFrom(...VALUE_KINDS.filter((k) => k !== "normal")), weight: 8 },
);

export const gradKind: fc.Arbitrary<GradKind> = fc.oneof(
  { arbitrary: fc.constant("normal" as const), weight: 6 },
  { arbitrary: fc.constantFrom(...GRAD_KINDS.filter((k) => k !== "normal")), weight: 4 },
);

/** Per-unit kinds: a short list fast-check can shrink, cycled over the units. */
export const valueKinds = fc.array(valueKind, { minLength: 1, maxLength: 6 });
export const gradKinds = fc.array(gradKind, { minLength: 1, maxLength: 4 });

type Rand = () => number;

/** A sampler for one unit of `kind`: its own mean / scale / constant are drawn once per unit. */
function unitSampler(kind: ValueKind, rand: Rand): (rand: Rand) => number {
  switch (kind) {
    case "normal": {
      const mean = 6 * rand() - 3, std = 0.1 + 2.9 * rand();
      return (r) => mean + std * gaussian(r);
    }
    case "offset":
      return (r) => 1e4 + 1e-2 * gaussian(r);
    case "constant": {
      const v = [7.25, -1e4, 1e30, 1e-3, 1e38][Math.floor(rand() * 5)] * (rand() < 0.5 ? -1 : 1);
      return () => v;
    }
    case "zeros":
      return () => 0;
    case "huge": {
      const scale = 10 ** (30 + 7 * rand());
      return (r) => Math.max(-5e37, Math.min(5e37, scale * gaussian(r)));
    }
    case "edge":
      return (r) => 2e38 + 1e36 * Math.max(-5, Math.min(5, gaussian(r)));
    case "denormal":
      return (r) => 2 ** -133 * gaussian(r);
    case "tiny":
      return (r) => 1e-17 + 1e-18 * gaussian(r);
    case "mixed": {
      const kinds = VALUE_KINDS.filter((k) => k !== "mixed");
      const samplers = kinds.map((k) => unitSampler(k, rand));
      return (r) => samplers[Math.floor(r() * samplers.length)](r);
    }
  }
}

function gradSampler(kind: GradKind, rand: Rand): (rand: Rand) => number {
  const scale = 0.1 + 3 * rand();
  switch (kind) {
    case "normal":
      return (r) => scale * gaussian(r);
    case "large":
      return (r) => 1e15 * scale * gaussian(r);
    case "small":
      return (r) => 1e-30 * scale * gaussian(r);
    case "constant":
      return () => scale;
    case "zeros":
      return () => 0;
    case "sparse":
      return (r) => (r() < 0.1 ? scale * gaussian(r) : 0);
  }
}

/**
 * size values; element i belongs to unit unitOf(i) (0 <= unit < units), which draws from
 * kinds[unit % kinds.length]. Values are rounded to float32.
 */
export function fillUnits(
  size: number, units: number, unitOf: (i: number) => number, kinds: readonly ValueKind[], seed: number,
): Float32Array {
  const rand = seededRandom(seed);
  const samplers = Array.from({ length: units }, (_, u) => unitSampler(kinds[u % kinds.length], rand));
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = samplers[unitOf(i)](rand);
  return out;
}

/** Incoming gradients, per unit as fillUnits. */
export function fillGrads(
  size: number, units: number, unitOf: (i: number) => number, kinds: readonly GradKind[], seed: number,
): Float32Array {
  const rand = seededRandom(seed ^ 0x5bd1e995);
  const samplers = Array.from({ length: units }, (_, u) => gradSampler(kinds[u % kinds.length], rand));
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = samplers[unitOf(i)](rand);
  return out;
}

/** Kinds of learnable parameters: around 1 (the usual), signed and spread, zero, large. */
export const PARAM_KINDS = ["ones", "normal", "zeros", "large"] as const;
export type ParamKind = (typeof PARAM_KINDS)[number];
export const paramKind: fc.Arbitrary<ParamKind> = fc.constantFrom(...PARAM_KINDS);

/** n parameter values of a kind (weight or bias), float32. */
export function fillParams(n: number, kind: ParamKind, seed: number): Float32Array {
  const rand = seededRandom(seed ^ 0x27d4eb2f);
  return Float32Array.from({ length: n }, () => {
    switch (kind) {
      case "ones":
        return 1 + 0.1 * gaussian(rand);
      case "normal":
        return gaussian(rand);
      case "zeros":
        return rand() < 0.5 ? 0 : gaussian(rand);
      case "large":
        return 1e3 * gaussian(rand);
    }
  });
}

/** A 32-bit seed for the data of one case. */
export const dataSeed = fc.integer({ min: 0, max: 0x7fffffff });

