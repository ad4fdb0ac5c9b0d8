// The contract between the ops and whatever runs the numbers: the wasm kernels (SIMD or
// scalar build) or the pure-JS reference. A backend allocates Regions of its own memory
// and runs the kernels declared in kernels.ts on them, so the layers above never branch
// on which backend they drive.

import type { Kernels } from "./kernels.js";
import type { MemoryStats } from "./memory.js";

export type BackendKind = "simd" | "scalar" | "reference";
export type Layout = "NCHW" | "NHWC";

/** An (N, C, *spatial) tensor seen as N samples, C channels and S spatial positions. */
export interface Dims {
  readonly N: number;
  readonly C: number;
  readonly S: number;
  /** True for NHWC (channels last). */
  readonly channelsLast: boolean;
}

/**
 * Group norm's view of an (N, C, *spatial) tensor (channelsLast: (N, *spatial, C)): G groups
 * of C / G consecutive channels, S spatial positions. Instance norm is G = C.
 */
export interface GroupDims extends Dims {
  readonly G: number;
}

/** A block of a backend's memory. */
export interface Region {
  /** Byte offset in the backend's linear memory (0 for the reference backend). */
  readonly ptr: number;
  readonly byteLength: number;
  /** A view of the block, valid until the backend next allocates (the memory may grow). */
  f32(): Float32Array;
  f64(): Float64Array;
  free(): void;
}

/** What runs the numbers, from createBackend() or createReferenceBackend(). */
export interface Backend {
  readonly kind: BackendKind;
  /** Allocates `bytes` bytes (64-byte aligned); throws RangeError past the memory limit. */
  alloc(bytes: number): Region;
  /** Allocation statistics of this backend's memory. */
  memoryStats(): MemoryStats;
}

/**
 * A backend with its kernels, as the ops see it (backendOption gives one). The kernels are
 * not part of the public type: callers pass backends around, the ops call them.
 * @internal
 */
export interface KernelBackend extends Backend, Kernels {
  /**
   * `view` as a region when it is a view of this backend's memory (a tensor's `.data`, or a
   * subarray of it), so it is read or written in place; null for any other array. The
   * region follows memory growth (its f32() is a fresh view once `view` is detached) and
   * free() does nothing: the memory is the caller's.
   */
  viewRegion(view: Float32Array): Region | null;
}
