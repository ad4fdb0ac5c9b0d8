// Reading a TF.js tensor's values straight into an array of the kernels' memory.
//
// tfjs-backend-wasm's readSync answers with a copy in a fresh ArrayBuffer (HEAPU8.slice).
// At tens of MiB that allocation, not the copy, is the cost: at 32x56x56x64 (25.7 MB) the
// two reads of a layer's training step took 6 ms in some steps and 80 ms in others, by
// turns (measured 2026-12-04), as the allocator handed out recycled or freshly mapped
// pages. Its readSync takes an element range, so a large tensor is read in slices that the
// allocator recycles, each copied into place while it is in cache: a step then took 29 ms
// every time (median; with slices of 16 KB 40 ms, of 1 MB 30 ms). A backend whose readSync
// ignores the range (cpu, which answers with its own storage; webgl) answers the first
// slice with the whole tensor, which is then taken whole.

import type { TfjsKernelBackend } from "./types.js";

/** Floats per slice (256 KB). */
export const SLICE = 1 << 16;

/** Copies the values of the float32 tensor `dataId` of `backend` into `into` (its whole length). */
export function readInto(backend: TfjsKernelBackend, dataId: object, into: Float32Array): void {
  const n = into.length;
  for (let start = 0; start < n; start += SLICE) {
    const end = Math.min(n, start + SLICE);
    const values = backend.readSync(dataId, start, end) as ArrayLike<number>;
    if (start === 0 && values.length === n) {
      into.set(values);
      return;
    }
    if (values.length !== end - start) {
      throw new Error(`batchnorm-wasm/tfjs: the TF.js backend's readSync(dataId, ${start}, ${end}) gave ${values.length} values, expected ${end - start} or all ${n}`);
    }
    into.set(values, start);
  }
}
