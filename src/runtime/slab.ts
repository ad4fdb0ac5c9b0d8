// Small Float32Arrays handed to callers (per-channel gradients, statistics) carved out of a
// shared 64 KiB ArrayBuffer. Each array's own backing store would be an off-heap allocation
// costing microseconds (measured: 3 us of a 5 us backward call at C = 1024); a view on an
// existing buffer costs almost nothing. A slab is freed when no view of it is left.

const SLAB_BYTES = 64 << 10;
/** Larger requests get their own buffer: carving them would retain slabs for little gain. */
const MAX_CARVED_BYTES = SLAB_BYTES >> 3;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A zero-filled Float32Array of `length` elements that owns no buffer of its own. */
export function slabFloats(length: number): Float32Array {
  const bytes = length * 4;
  if (bytes > MAX_CARVED_BYTES) return new Float32Array(length);
  if (used + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const view = new Float32Array(slab, used, length);
  used += (bytes + 15) & ~15;
  return view;
}

/** A Float32Array copy of `source` in slab memory. */
export function slabCopy(source: ArrayLike<number>): Float32Array {
  const copy = slabFloats(source.length);
  copy.set(source);
  return copy;
}
