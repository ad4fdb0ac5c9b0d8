// Batch-norm plans of interleaved tensors and element-wise passes.
// - Interleaved (channels last, or S = 1) by blocks of 4 channels (assembly/units.ts
//   firstColumn): every pass walks all rows of the thread's columns, and a column's sums
//   take the same arithmetic whatever the range, so statistics, coefficients, outputs and
//   gradients are the one-thread ones; each thread writes only its channels.
// - By rows: the inference forward and the frozen-statistics
// backward are element-wise given per-channel coefficients, so each thread runs the kernel
// on its own rows (samples of a planar tensor, rows of C values of an interleaved one) as a
// smaller tensor of the same channels. Every thread computes all C coefficients (and the
// inference forward's widened mean / var / invstd) from the same inputs with the same
// arithmetic: the racing writes store identical bytes, so any of them is the one-thread value.
// (Imported by plans.ts, whose PLANS table takes these; plans.ts' helpers are used here
// only at call time, so the cycle is safe as long as plans.ts is imported first.)

import type { Region } from "../backend.js";
import { FLAGS, type KernelArgs, type KernelName } from "../kernels.js";
import { positional } from "../wasm-backend.js";
import { argsWith, EXACT, part, Program, shifted, threadsFor, type Plan, type PlanContext } from "./plans.js";

type RowKernel = "batchNormEvalForward" | "batchNormBackward" | "applyStats" | "backwardElemt";

/** What the row plan reads of a batch-norm kernel's arguments (the tensors too, by name). */
interface Dims {
  readonly N: number;
  readonly C: number;
  readonly S: number;
  readonly flags: number;
}

/** Channels last, or S = 1: rows of C values. */
const interleavedOf = (a: Dims): boolean => (a.flags & FLAGS.channelsLast) !== 0 || a.S === 1;

/** Channels per unit of an interleaved tensor (assembly/units.ts firstColumn). */
const COLUMN_BLOCK = 4;

/** A kernel call cut into ranges of channels (planar) or of blocks of 4 channels (interleaved). */
export function byChannelUnits(name: KernelName, a: Dims, ctx: PlanContext): Program | null {
  if (interleavedOf(a) && !ctx.cutInterleaved) return null;
  const units = interleavedOf(a) ? Math.ceil(a.C / COLUMN_BLOCK) : a.C;
  const T = threadsFor(ctx, a.N * a.C * a.S, units);
  if (T < 2) return null;
  const program = new Program(T);
  const values = positional(name, a, []);
  for (let t = 0; t < T; t++) program.kernel(t, name, values, ...part(units, T, t));
  return program;
}

/**
 * A reduction-carrying kernel by channel units, unless its channels hold at most EXACT
 * values (the exact f64 path, which ignores units): the training kernels and the split
 * reductions alike.
 */
export const byChannelsPlan = (name: KernelName): Plan<Dims> => (a, ctx) =>
  (a.N * a.S <= EXACT ? null : byChannelUnits(name, a, ctx));

/** Kernel `name` on T row ranges, with `tensors` shifted to each range's first row. */
function byRows(name: RowKernel, tensors: readonly string[]): Plan<Dims> {
  return (a, ctx) => {
    const { N, C, S } = a;
    // Interleaved (channels last, or S = 1): N * S rows of C values, run as (rows, C, 1);
    // planar: N samples of C * S values.
    const interleaved = interleavedOf(a);
    const units = interleaved ? N * S : N, unitBytes = (interleaved ? C : C * S) * 4;
    const T = threadsFor(ctx, N * C * S, units);
    if (T < 2) return null;
    const program = new Program(T);
    const named = a as unknown as Record<string, Region | null>;
    for (let t = 0; t < T; t++) {
      const [u0, u1] = part(units, T, t);
      const replace: Record<string, number> = { N: u1 - u0, S: interleaved ? 1 : S };
      for (const arg of tensors) replace[arg] = shifted(named[arg], u0 * unitBytes);
      program.kernel(t, name, argsWith(name, a, replace));
    }
    return program;
  };
}

/** The inference forward: y from the running statistics, row by row. */
export const evalForward = byRows("batchNormEvalForward", ["x", "y"]);
const frozenRows = byRows("batchNormBackward", ["dy", "x", "dx"]);

/**
 * The frozen-statistics backward: with dx alone by rows; with dweight / dbias wanted (sums
 * over all rows in the kernel's order) by blocks of channels when interleaved, else on one
 * thread.
 */
export function frozenBackward(a: KernelArgs<"batchNormBackward">, ctx: PlanContext): Program | null {
  if (a.dx !== null && !(a.flags & (FLAGS.dweight | FLAGS.dbias))) return frozenRows(a, ctx);
  return interleavedOf(a) ? byChannelUnits("batchNormBackward", a, ctx) : null;
}

/**
 * The split primitives: the reductions (channelStats, backwardReduce) by channel units, as
 * the training kernels; the element-wise ones (applyStats, backwardElemt: coefficients from
 * given statistics and the given count) by rows.
 */
export const SPLIT_PLANS = {
  channelStats: byChannelsPlan("channelStats"),
  backwardReduce: byChannelsPlan("backwardReduce"),
  applyStats: byRows("applyStats", ["x", "y"]),
  backwardElemt: byRows("backwardElemt", ["dy", "x", "dx"]),
};
