// The row norms' parameter gradients (dweight, dbias, daddBias: sums over rows of L values
// each) are summed in f32 over blocks of FLUSH_ROWS rows, then the blocks' sums are added
// in f64 in row order and narrowed to f32 once. The threaded backend cuts a call at block
// boundaries (src/runtime/threads/row-plans.ts): each thread stores its blocks' f32 sums in
// a slot per block (`partials`) instead of adding them, and gradMerge adds the slots in
// block order with the very adds endBlock makes, so the gradients have the one-thread bits
// for any thread count.

import { DADD_BIAS, DADD_BIAS_AT, DBIAS, DBIAS_AT, DWEIGHT, DWEIGHT_AT, optional, scratchOf } from "./block";
import { endColumn, firstColumn } from "./units";

/** Rows whose parameter-gradient contributions are summed in f32 before widening to f64. */
export const FLUSH_ROWS: i32 = 32;

/**
 * The end of block b of a call: its `arrays` f32 sums of L values at `sums` (dweight's,
 * dbias', daddBias', one after the other) are added into the f64 totals (the same arrays of
 * L f64 at `totals`), or, with partials, stored in slot b (arrays * L floats); then cleared.
 */
export function endBlock(sums: usize, arrays: i32, L: i32, totals: usize, partials: usize, b: i32): void {
  const bytes = <usize>arrays * (<usize>L << 2);
  if (partials) {
    memory.copy(partials + <usize>b * bytes, sums, bytes);
  } else {
    for (let j = 0; j < arrays; j++) addWidened(totals + <usize>j * (<usize>L << 3), sums + <usize>j * (<usize>L << 2), 0, L);
  }
  memory.fill(sums, 0, bytes);
}

/** total[i] += f64(sums[i]) for i in [from, to). */
function addWidened(total: usize, sums: usize, from: i32, to: i32): void {
  let i = from;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= to; i += 4) {
      const q = <usize>i << 3, v = v128.load(sums + (<usize>i << 2));
      v128.store(total + q, f64x2.add(v128.load(total + q), f64x2.promote_low_f32x4(v)));
      v128.store(total + q, f64x2.add(v128.load(total + q, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3))), 16);
    }
  }
  for (; i < to; i++) {
    const q = <usize>i << 3;
    store<f64>(total + q, load<f64>(total + q) + <f64>load<f32>(sums + (<usize>i << 2)));
  }
}

/** The flag of gradient array j (dweight, dbias, daddBias). */
// @ts-ignore: decorator
@inline function gradBit(j: i32): i32 {
  return j == 0 ? DWEIGHT : j == 1 ? DBIAS : DADD_BIAS;
}

/**
 * dweight / dbias / daddBias of the block (K statistics, P = L parameters), as flagged among
 * the first `arrays`, narrowed from the f64 totals (arrays of P at `totals`), columns [c0, c1).
 */
export function narrowGrads(block: usize, K: i32, P: i32, flags: i32, arrays: i32, totals: usize, c0: i32, c1: i32): void {
  for (let j = 0; j < arrays; j++) {
    const out = optional(block, K, P, j == 0 ? DWEIGHT_AT : j == 1 ? DBIAS_AT : DADD_BIAS_AT, flags, gradBit(j));
    const total = totals + <usize>j * (<usize>P << 3);
    for (let i = c0; out && i < c1; i++) store<f32>(out + (<usize>i << 2), <f32>load<f64>(total + (<usize>i << 3)));
  }
}

/**
 * The threaded backend's second phase: the gradients flagged among the first `arrays` from
 * `blocks` slots of f32 block sums at `partials` (slot b: arrays * P floats), over this
 * instance's columns (units of 4, units.ts firstColumn): 0 + f64(slot 0) + f64(slot 1) + ...,
 * endBlock's adds in its order, summed in the block's scratch where the one-thread kernel
 * keeps its totals (after `arrays` * P f32 of block sums), then narrowed.
 */
export function gradMerge(partials: usize, blocks: i32, arrays: i32, K: i32, P: i32, flags: i32, block: usize): void {
  const c0 = firstColumn(P), c1 = endColumn(P);
  const totals = scratchOf(block, K, P) + <usize>arrays * (<usize>P << 2);
  for (let j = 0; j < arrays; j++) {
    if (!(flags & gradBit(j))) continue;
    const total = totals + <usize>j * (<usize>P << 3);
    memory.fill(total + (<usize>c0 << 3), 0, <usize>(c1 - c0) << 3);
    for (let b = 0; b < blocks; b++) addWidened(total, partials + (<usize>(b * arrays + j) * <usize>P << 2), c0, c1);
  }
  narrowGrads(block, K, P, flags, arrays, totals, c0, c1);
}
