// Argument checks of the normalization family (the shared ones live in checks.ts). Each
// throws an Error naming the call, the argument and what was expected.

import type { Backend } from "./backend.js";
import { checkShape, describe, fail } from "./checks.js";
import { getDefaultBackend, isBackend } from "./default-backend.js";

/** normalizedShape: a positive integer or a non-empty array of them; returned as an array. */
export function checkNormalizedShape(where: string, value: unknown): number[] {
  const shape = typeof value === "number" ? [value] : value;
  if (!Array.isArray(shape) || shape.length === 0) {
    fail(where, `normalizedShape must be a positive integer or a non-empty array of positive integers, got ${describe(value)}`);
  }
  checkShape(where, shape, "normalizedShape");
  return shape.slice();
}

/** R rows of L values: x's shape must end with normalizedShape. */
export function layerRows(where: string, shape: readonly number[], normalizedShape: readonly number[]): { R: number; L: number } {
  const k = normalizedShape.length;
  const tail = shape.slice(shape.length - k);
  if (shape.length < k || tail.some((v, i) => v !== normalizedShape[i])) {
    fail(where, `expected x of shape [*, ${normalizedShape.join(", ")}] (ending with normalizedShape), got x of shape ${describe(shape)}`);
  }
  const L = normalizedShape.reduce((a, b) => a * b, 1);
  let R = 1;
  for (let i = 0; i < shape.length - k; i++) R *= shape[i];
  return { R, L };
}

/** numGroups must divide numChannels. */
export function checkGroups(where: string, numGroups: number, numChannels: number): void {
  if (numChannels % numGroups !== 0) {
    fail(where, `numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
  }
}

/** The backend of an options object, or the default one. */
export function backendOption(where: string, backend: unknown): Backend {
  const b = backend ?? getDefaultBackend();
  if (!isBackend(b)) fail(where, "backend must come from createBackend() or createReferenceBackend()");
  return b;
}

/** (N, C, S) of a channels-second shape of rank >= 2 (spatial size 1 for 2-D input). */
export function channelsSecond(shape: readonly number[]): { N: number; C: number; S: number } {
  let S = 1;
  for (let i = 2; i < shape.length; i++) S *= shape[i];
  return { N: shape[0], C: shape[1], S };
}
