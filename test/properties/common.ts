// Pieces the property bodies share: running a call on the reference and on a build with the
// same outcome (both throw the same message, or both return), ReLU masks, scales of the
// backward quantities, and the leak check around every case.
import type { Backend } from "../../src/index.js";
import { Mismatch } from "./tolerance.js";

/** The value of fn(), or the message of the Error it threw. */
export function attempt<R>(fn: () => R): { value: R; error: null } | { value: null; error: string } {
  try {
    return { value: fn(), error: null };
  } catch (error) {
    return { value: null, error: (error as Error).message };
  }
}

/** A call the reference refused must be refused by the build with the same message. */
export function expectSameRefusal(label: string, message: string, fn: () => unknown): void {
  const r = attempt(fn);
  if (r.error === null) throw new Mismatch(`${label}: the reference threw "${message}", the build did not`);
  if (r.error !== message) throw new Mismatch(`${label}: the reference threw "${message}", the build threw "${r.error}"`);
}

/** max(y, 0) keeping NaN, as the fused ReLU. */
export function relu(y: ArrayLike<number>): Float32Array {
  return Float32Array.from(y, (v) => (v < 0 ? 0 : v));
}

/** dy where the build's forward output was positive: the gradient through its ReLU. */
export function maskedBy(dy: Float32Array, y: ArrayLike<number>): Float32Array {
  return Float32Array.from(dy, (v, i) => (y[i] > 0 ? v : 0));
}

/** The subnormal quantum of float32: every float32 below 2^-126 is a multiple of it. */
export const QUANTUM = 2 ** -149;

/**
 * Scale and floor of y per unit: y = xhat * w + b is a sum of two terms that can cancel (a
 * bias near -xhat * w), and the kernels' roundings are relative to the terms, so the scale
 * is the largest |xhat * w| and |b| of the unit (checkUnits raises it to the largest |y|).
 * The floor: where the float32 scale coefficient (|w| * invstd, or invstd with the weight
 * applied after it) is subnormal it is only known to 2^-149, and so is a subnormal xhat
 * formed before the weight multiplies it (layer norm), so y is known to
 * (max |x - mean| + 1) * max(1, |w|) * 2^-149; negligible unless |w| / std is below 2^-126
 * (a std near 1e38, or |w| < 1 with a std above 1e37) or xhat itself is subnormal (subnormal
 * inputs).
 */
export function forwardScales(
  x: ArrayLike<number>, units: number, unitOf: (i: number) => number, paramOf: (i: number) => number,
  mean: ArrayLike<number>, invstd: ArrayLike<number>, weightOf: (p: number) => number, biasOf: (p: number) => number,
): { scale: Float64Array; floor: Float64Array } {
  const scale = new Float64Array(units), floor = new Float64Array(units);
  for (let i = 0; i < x.length; i++) {
    const u = unitOf(i), p = paramOf(i);
    const w = Math.abs(weightOf(p)), xmu = Math.abs(x[i] - mean[u]);
    const term = Math.max(Number.isFinite(invstd[u]) ? xmu * invstd[u] * w : 0, Math.abs(biasOf(p)));
    if (term > scale[u]) scale[u] = term;
    const f = (xmu + 1) * Math.max(1, w) * QUANTUM;
    if (f > floor[u]) floor[u] = f;
  }
  return { scale, floor };
}

/**
 * Scales and floors of the backward quantities (see tolerance.ts), in float64 from the
 * statistics the forward used: per unit max |w * invstd * dy|, per parameter
 * sum |dy| * (|xhat| + 1) and sum |dy|. (xhat itself is known to about u, not u * |xhat|: the
 * mean is accurate relative to the std, so an element near the mean has a small xhat with
 * an absolute error of order u.)
 * Floors, where float32 cannot resolve more: each product dy * (x - mean) is formed in
 * float32, a multiple of 2^-149 when subnormal, so sum(dy * xhat) is known to
 * n * 2^-149 * invstd (dweight) and dx, through w * invstd^3 * (x - mean) * mean(dy * (x - mean)),
 * to |w| * invstd^3 * max |x - mean| * 2^-149; and dx = a * (dy + h * (x - mean) + k) with
 * float32 coefficients a ~ w / std and h ~ dy / std^2 * std that are only known to the quantum
 * when subnormal: (max |dy| * (2 + sqrt(n)) + a * (max |x - mean| + 1)) * 2^-149.
 * unitOf / paramOf map an element to its unit and to its weight's index; weightOf(p) is 1
 * without a weight.
 */
export function backwardScales(
  x: ArrayLike<number>, dy: ArrayLike<number>, units: number, unitOf: (i: number) => number,
  params: number, paramOf: (i: number) => number, mean: ArrayLike<number>, invstd: ArrayLike<number>,
  weightOf: (p: number) => number,
) {
  const dx = new Float64Array(units), dweight = new Float64Array(params), dbias = new Float64Array(params);
  const dweightFloor = new Float64Array(params);
  const maxDy = new Float64Array(units), maxXmu = new Float64Array(units), maxW = new Float64Array(units), count = new Float64Array(units);
  for (let i = 0; i < x.length; i++) {
    const u = unitOf(i), p = paramOf(i);
    const g = Math.abs(dy[i]);
    const k = Number.isFinite(invstd[u]) ? invstd[u] : 0;
    const w = Math.abs(weightOf(p));
    const a = w * k * g;
    if (a > dx[u]) dx[u] = a;
    const xmu = Math.abs(x[i] - mean[u]);
    dweight[p] += g * (xmu * k + 1);
    dbias[p] += g;
    dweightFloor[p] += QUANTUM * k;
    if (g > maxDy[u]) maxDy[u] = g;
    if (xmu > maxXmu[u]) maxXmu[u] = xmu;
    if (w > maxW[u]) maxW[u] = w;
    count[u]++;
  }
  const dxFloor = Float64Array.from(maxDy, (g, u) => {
    const k = Number.isFinite(invstd[u]) ? invstd[u] : 0, a = maxW[u] * k;
    return QUANTUM * (g * (2 + Math.sqrt(count[u])) + a * (maxXmu[u] + 1) + a * k * k * maxXmu[u]);
  });
  return { dx, dweight, dbias, dxFloor, dweightFloor };
}

/**
 * Scale of a running-statistics update new = (1 - w) * old + w * batch: |old| + |new| bounds
 * both terms, plus w times the scale of the batch statistic itself (the batch mean of values
 * of both signs is accurate relative to their magnitude, not to the mean).
 */
export function runningScale(before: ArrayLike<number>, after: ArrayLike<number>, weight: number, batchScale: ArrayLike<number>): Float64Array {
  return Float64Array.from(after, (v, i) => Math.abs(v) + Math.abs(before[i]) + weight * batchScale[i]);
}

/** Live bytes of each backend, to compare before and after a case. */
export function liveBytes(backends: readonly Backend[]): number[] {
  return backends.map((b) => b.memoryStats().liveBytes);
}

/** Every block a case allocated was freed again. */
export function expectNoLeak(label: string, backends: readonly Backend[], before: readonly number[]): void {
  const after = liveBytes(backends);
  after.forEach((bytes, i) => {
    if (bytes !== before[i]) throw new Mismatch(`${label}: ${backends[i].kind} backend has ${bytes - before[i]} more live bytes after the case than before`);
  });
}

/** Largest finite |v| per unit. */
export function maxAbsPerUnit(v: ArrayLike<number>, units: number, unitOf: (i: number) => number): Float64Array {
  const out = new Float64Array(units);
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]);
    if (Number.isFinite(a) && a > out[unitOf(i)]) out[unitOf(i)] = a;
  }
  return out;
}

/**
 * The kernels' domain beyond finite data (docs/failure-model.md): var + eps of every unit
 * at least 2^-126, the float32 normal range, so 1 / std and its squares stay in float32; or
 * exactly 0, a division by zero with eps = 0 that gives the definition's NaN / infinities.
 * Only eps = 0 can leave it, with a unit whose std is below 1.1e-19. invstd per unit.
 */
export function inDomain(invstd: ArrayLike<number>): boolean {
  for (let u = 0; u < invstd.length; u++) if (!(invstd[u] <= 2 ** 63 || invstd[u] === Infinity)) return false;
  return true;
}

/** The values of an output (array or tensor); a tensor is disposed after it is read. */
export function take(v: unknown): Float32Array {
  if (v instanceof Float32Array) return v;
  const t = v as { data: Float32Array; dispose(): void };
  const data = t.data.slice();
  t.dispose();
  return data;
}
