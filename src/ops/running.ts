// Running statistics: the one update every op uses (batch norm, SyncBatchNorm, the split
// primitives' gather, instance norm), and the framework conventions behind its momentum.
// The update is host code, as PyTorch's (Normalization.cpp): it is C numbers per call, it
// works on the module's own Float32Arrays with no copy into kernel memory and back, and one
// JavaScript function gives the same bits on every backend and every thread count.
//
// The forward and backward are
// the same everywhere; what differs is what `momentum` means, which batch variance feeds the
// running variance, and the defaults:
//   pytorch: running = (1 - momentum) * running + momentum * batch, unbiased batch variance;
//   keras (Keras / TensorFlow.js layers): running = momentum * running + (1 - momentum) * batch,
//     biased batch variance;
//   onnx (BatchNormalization, training_mode): as keras (momentum is the decay), population
//     (biased) variance.

import { describe, fail } from "../runtime/checks.js";
import type { RunningPair } from "../runtime/checks.js";

export type Convention = "pytorch" | "keras" | "onnx";

export interface ConventionRules {
  /** Default eps. */
  readonly eps: number;
  /** Default momentum. */
  readonly momentum: number;
  /** true: momentum weighs the old running value (a decay); false: it weighs the batch. */
  readonly momentumIsDecay: boolean;
  /** true: the running variance takes the unbiased batch variance (n / (n - 1)). */
  readonly unbiasedRunningVar: boolean;
}

export const CONVENTIONS: Readonly<Record<Convention, ConventionRules>> = Object.freeze({
  pytorch: { eps: 1e-5, momentum: 0.1, momentumIsDecay: false, unbiasedRunningVar: true },
  keras: { eps: 1e-3, momentum: 0.99, momentumIsDecay: true, unbiasedRunningVar: false },
  onnx: { eps: 1e-5, momentum: 0.9, momentumIsDecay: true, unbiasedRunningVar: false },
});

/** @internal */
export function checkConvention(where: string, value: unknown): Convention {
  if (value !== "pytorch" && value !== "keras" && value !== "onnx") {
    fail(where, `convention must be "pytorch", "keras" or "onnx", got ${describe(value)}`);
  }
  return value;
}

/** momentum: null (a cumulative average) exists in PyTorch only. @internal */
export function refuseNullMomentum(where: string, convention: Convention, momentum: unknown): void {
  if (momentum === null && convention !== "pytorch") {
    fail(where, `momentum: null (a cumulative moving average) is PyTorch's; with convention "${convention}" give a number in [0, 1]`);
  }
}

/**
 * The running update in PyTorch's form: running = (1 - weight) * running + weight * batch,
 * the biased batch variance multiplied by varFactor. count: values per channel; batches:
 * training forwards counted before this one (for momentum null).
 * @internal
 */
export function runningUpdate(convention: Convention, momentum: number | null, batches: number, count: number): { momentum: number; varFactor: number } {
  const rules = CONVENTIONS[convention];
  const weight = momentum === null ? 1 / (batches + 1) : rules.momentumIsDecay ? 1 - momentum : momentum;
  return { momentum: weight, varFactor: rules.unbiasedRunningVar ? count / (count - 1) : 1 };
}

/**
 * running = (1 - momentum) * running + momentum * batch, the batch variance multiplied by
 * varFactor first; computed in f64 and rounded once to the f32 running values.
 * @internal
 */
export function updateRunningStats(
  running: RunningPair, mean: ArrayLike<number>, variance: ArrayLike<number>, momentum: number, varFactor: number,
): void {
  const runMean = running.mean, runVar = running.var, keep = 1 - momentum, C = runMean.length;
  for (let c = 0; c < C; c++) {
    runMean[c] = keep * runMean[c] + momentum * mean[c];
    runVar[c] = keep * runVar[c] + momentum * variance[c] * varFactor;
  }
}

/** 1 / sqrt(var + eps) per channel, in f64: the invstd of given (running or merged) statistics. @internal */
export function invstdOf(variance: ArrayLike<number>, eps: number): Float64Array {
  return Float64Array.from(variance, (v) => 1 / Math.sqrt(v + eps));
}
