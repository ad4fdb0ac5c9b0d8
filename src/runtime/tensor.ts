// Tensors that live in a backend's linear memory: the zero-copy path. Modules and the
// functional API take them without copying and hand back new ones.

import type { Backend, Region } from "./backend.js";
import { at, checkShape, describe, fail } from "./checks.js";
import { backendOption } from "./default-backend.js";

export class Tensor {
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  private region: Region | null;

  /** @internal Use tensor() to create one. */
  constructor(readonly backend: Backend, shape: readonly number[], size: number, region: Region) {
    // Outputs reuse their input's frozen shape: no copy per call on the zero-copy path.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape.slice());
    this.size = size;
    this.region = region;
  }

  /**
   * The elements, as a Float32Array view of the backend's memory. Read it again after
   * anything that may allocate (a forward, a new tensor): growth of the memory detaches
   * older views, which then have length 0.
   */
  get data(): Float32Array {
    return this.regionFor("Tensor.data").f32();
  }

  get disposed(): boolean {
    return this.region === null;
  }

  /** Frees the memory. Further use throws; disposing twice is allowed. */
  dispose(): void {
    this.region?.free();
    this.region = null;
  }

  /** @internal The region, or an error naming `where` (and the tensor's `role` there) if it was disposed. */
  regionFor(where: string, role?: string): Region {
    if (this.region === null) fail(at(where, role), `the tensor of shape ${describe(this.shape)} was disposed`);
    return this.region;
  }
}

/** What every backward returns: dx of dy's kind (Float32Array or Tensor), and the parameter gradients. */
export interface Gradients<T> {
  dx: T;
  /** null when the op has no weight (affine: false). */
  dweight: Float32Array | null;
  dbias: Float32Array | null;
}

export interface TensorOptions {
  /** Whose memory the tensor lives in (default: the default backend). */
  backend?: Backend;
}

/**
 * A tensor of the given shape in the kernels' linear memory, filled from `data` (copied)
 * or with zeros.
 */
export function tensor(shape: readonly number[], data?: ArrayLike<number>, options: TensorOptions = {}): Tensor {
  const size = checkShape("tensor", shape);
  const backend = backendOption("tensor", options.backend, "options.backend");
  if (data !== undefined && data !== null) {
    const ok = ArrayBuffer.isView(data) || Array.isArray(data);
    if (!ok) fail("tensor", `data must be a Float32Array or an array of numbers, got ${describe(data)}`);
    if (data.length !== size) {
      fail("tensor", `data has length ${data.length}, but shape ${describe(shape)} has ${size} elements`);
    }
  }
  const region = backend.alloc(size * 4);
  const view = region.f32();
  if (data !== undefined && data !== null) view.set(data);
  else view.fill(0);
  return new Tensor(backend, shape, size, region);
}

/** @internal A tensor around a region the caller just allocated (outputs of ops). */
export function wrapRegion(backend: Backend, shape: readonly number[], size: number, region: Region): Tensor {
  return new Tensor(backend, shape, size, region);
}
