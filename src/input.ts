// What a caller handed in as data: a plain Float32Array (copied through staging) or a
// Tensor in the backend's memory (used in place).

import type { Backend } from "./backend.js";
import { checkShape, describe, fail } from "./checks.js";
import { Tensor } from "./tensor.js";

export interface Input {
  readonly shape: readonly number[];
  readonly size: number;
  readonly tensor: Tensor | null;
  readonly array: Float32Array | null;
}

export function resolveInput(where: string, name: string, value: unknown, shape: unknown, backend: Backend): Input {
  if (value instanceof Tensor) {
    value.regionFor(where, name);
    if (value.backend !== backend) {
      fail(where, `${name} is a tensor of another backend's memory; create it with tensor(shape, data, { backend }) of this module's backend`);
    }
    if (shape !== undefined && shape !== null) {
      checkShape(where, shape);
      const same = (shape as number[]).length === value.shape.length && value.shape.every((v, i) => v === (shape as number[])[i]);
      if (!same) fail(where, `shape ${describe(shape)} does not match the shape of tensor ${name}, ${describe(value.shape)}`);
    }
    return { shape: value.shape, size: value.size, tensor: value, array: null };
  }
  if (!(value instanceof Float32Array)) {
    fail(where, `${name} must be a Float32Array or a Tensor from tensor(), got ${describe(value)}`);
  }
  if (shape === undefined || shape === null) fail(where, `shape is required when ${name} is a Float32Array`);
  const size = checkShape(where, shape);
  if (value.length !== size) {
    fail(where, `${name} has length ${value.length}, but shape ${describe(shape)} has ${size} elements`);
  }
  return { shape: (shape as number[]).slice(), size, tensor: null, array: value };
}
