// The unit range of the threaded backend (src/runtime/threads/): which channels of a planar
// batch norm, or which statistics blocks or channels of an interleaved one's phases
// (rowblocks.ts), this instance computes. Each thread's instance has its own globals, so the
// calling thread and every worker set their own range before a call over the shared
// memory; the one-thread backends never call setUnits and get every unit.

export let unitFrom: i32 = 0;
export let unitTo: i32 = i32.MAX_VALUE;

/** The first unit of a call over `count` units. */
// @ts-ignore: decorator
@inline export function firstUnit(): i32 {
  return max(unitFrom, 0);
}

/** The end of this instance's units in a call over `count` units. */
// @ts-ignore: decorator
@inline export function endUnit(count: i32): i32 {
  return min(unitTo, count);
}

/**
 * Column units of 4 columns, one f32x4 (a merge split by columns that keeps its vectors
 * whole): columns [c0, c0 + 4 * k) in vectors and the rest one at a time exactly as over
 * all of them. (Batch norm's interleaved kernels are cut by row blocks, rowblocks.ts.)
 */
// @ts-ignore: decorator
@inline export function firstColumn(C: i32): i32 {
  return min(min(firstUnit(), (C + 3) >> 2) << 2, C);
}

/** The end of this instance's column units (see firstColumn). */
// @ts-ignore: decorator
@inline export function endColumn(C: i32): i32 {
  return min(endUnit((C + 3) >> 2) << 2, C);
}

/** Restricts the next kernel calls of this instance to units [from, to) (clamped to the call's count). */
export function setUnits(from: i32, to: i32): void {
  unitFrom = from;
  unitTo = to;
}
