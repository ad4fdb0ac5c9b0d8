// Batch-norm plans (the PLANS entries of the batch-norm kernels, plans.ts).
// - Planar tensors, training forward and backward through the batch statistics, and the
//   split reductions: by channel ranges (assembly/units.ts); channels are independent.
// - Interleaved tensors (channels last, or S = 1), the same calls and the frozen backward
//   with dweight / dbias: by the statistics blocks of rows (assembly/layout.ts blockRows,
//   a grid of the tensor alone), in phases of thread kernels (assembly/rowblocks.ts): each
//   thread reduces whole blocks into slots of a temporary partials area, the slots are merged
//   in block order split by channels, then each thread maps the rows it reduced. The one-
//   thread kernel walks the same blocks and merges them in the same order (one slot, merged
//   as it goes), so the bits are its bits.
// - By rows: the inference forward and the frozen-statistics backward with dx alone are
//   element-wise given per-channel coefficients, so each thread runs the kernel on its own
//   rows (samples of a planar tensor, rows of C values of an interleaved one) as a smaller
//   tensor of the same channels. Every thread computes all C coefficients (and the
//   inference forward's widened mean / var / invstd) from the same inputs with the same
//   arithmetic: the racing writes store identical bytes, so any of them is the one-thread value.
// (Imported by plans.ts, whose PLANS table takes these; plans.ts' helpers are used here
// only at call time, so the cycle is safe as long as plans.ts is imported first.)

import type { Region } from "../backend.js";
import { FLAGS, type KernelArgs, type KernelName, type ThreadKernelName } from "../kernels.js";
import { positional } from "../wasm-backend.js";
import { argsWith, EXACT, part, Program, shifted, threadsFor, type Plan, type PlanContext } from "./plans.js";

type RowKernel = "batchNormEvalForward" | "batchNormBackward" | "applyStats" | "backwardElemt";

/** What the plans read of a batch-norm kernel's arguments (the tensors too, by name). */
interface Dims {
  readonly N: number;
  readonly C: number;
  readonly S: number;
  readonly flags: number;
}

/** Channels last, or S = 1: rows of C values. */
const interleavedOf = (a: Dims): boolean => (a.flags & FLAGS.channelsLast) !== 0 || a.S === 1;

/** A planar kernel call cut into channel ranges, unless its channels hold at most EXACT values (the exact f64 path ignores ranges). */
function byChannels(name: KernelName, a: Dims, ctx: PlanContext): Program | null {
  if (a.N * a.S <= EXACT) return null;
  const T = threadsFor(ctx, a.N * a.C * a.S, a.C);
  if (T < 2) return null;
  const program = new Program(T);
  const values = positional(name, a, []);
  for (let t = 0; t < T; t++) program.kernel(t, name, values, ...part(a.C, T, t));
  return program;
}

/** One phase of an interleaved call: a thread kernel on each thread's blocks (of rows) or channels. */
type Step = readonly [name: ThreadKernelName, values: readonly number[], by: "blocks" | "channels"];

/**
 * An interleaved call as successive phases of thread kernels, cut by statistics blocks;
 * `steps` gets the rows and the address of the partials (one slot per block). Null (one
 * thread) for channels of at most EXACT values (the exact f64 paths), for work too small
 * to wake a worker, and when the memory cannot hold the partials.
 */
function byRowBlocks<A extends Dims>(steps: (a: A, R: number, partials: number) => readonly Step[]): Plan<A> {
  return (a, ctx) => {
    const R = a.N * a.S;
    const blocks = Math.ceil(R / ctx.geometry.statsBlockRows(a.C));
    if (R <= EXACT) return null;
    const T = threadsFor(ctx, R * a.C, blocks);
    if (T < 2) return null;
    let partials: Region;
    try {
      partials = ctx.alloc(blocks * ctx.geometry.statsSlotBytes(a.C));
    } catch {
      return null;
    }
    const program = new Program(T);
    program.temps.push(partials);
    steps(a, R, partials.ptr).forEach(([name, values, by], i) => {
      if (i > 0) program.barrier();
      const units = by === "blocks" ? blocks : a.C;
      for (let t = 0; t < T; t++) program.kernel(t, name, values, ...part(units, T, t));
    });
    return program;
  };
}

const ptrOf = (r: Region | null): number => (r === null ? 0 : r.ptr);

type Stats = KernelArgs<"batchNormTrainForward"> | KernelArgs<"channelStats">;
const statSteps = (a: Stats, R: number, p: number): Step[] => [
  ["batchNormStatsBlocks", [a.x.ptr, R, a.C, p], "blocks"],
  ["batchNormStatsMerge", [p, R, a.C, a.block.ptr], "channels"],
];
const trainForwardRows = byRowBlocks<KernelArgs<"batchNormTrainForward">>((a, R, p) => [
  ...statSteps(a, R, p),
  ["batchNormApplyBlocks", [a.x.ptr, a.y.ptr, R, a.C, a.flags, a.eps, a.block.ptr], "blocks"],
]);

type Reduce = KernelArgs<"batchNormBackward"> | KernelArgs<"backwardReduce">;
const reduceSteps = (a: Reduce, R: number, p: number): Step[] => [
  ["batchNormReduceBlocks", [a.dy.ptr, a.x.ptr, R, a.C, a.flags, a.block.ptr, p], "blocks"],
  ["batchNormReduceMerge", [p, R, a.C, a.flags, a.block.ptr], "channels"],
];
const backwardRows = byRowBlocks<KernelArgs<"batchNormBackward">>((a, R, p) => [
  ...reduceSteps(a, R, p),
  ...(a.dx === null ? [] : [["batchNormElemtBlocks", [a.dy.ptr, a.x.ptr, a.dx.ptr, R, a.C, a.flags, a.block.ptr], "blocks"] as const]),
]);

const channelStatsRows = byRowBlocks(statSteps);
const backwardReduceRows = byRowBlocks(reduceSteps);

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

const frozenRows = byRows("batchNormBackward", ["dy", "x", "dx"]);

/** The plans of the batch-norm kernels (plans.ts PLANS). */
export const BATCH_NORM_PLANS: { readonly [K in KernelName]?: Plan<KernelArgs<K>> } = {
  batchNormTrainForward: (a, ctx) => {
    if (interleavedOf(a)) return trainForwardRows(a, ctx);
    // y must not alias x: a thread's first channel writes y before reading x on (batchnorm.ts).
    return a.x.ptr === a.y.ptr ? null : byChannels("batchNormTrainForward", a, ctx);
  },
  batchNormEvalForward: byRows("batchNormEvalForward", ["x", "y"]),
  batchNormBackward: (a, ctx) => {
    const frozen = !(a.flags & FLAGS.training);
    // The frozen backward with dx alone: element-wise, by rows.
    if (frozen && a.dx !== null && !(a.flags & (FLAGS.dweight | FLAGS.dbias))) return frozenRows(a, ctx);
    if (interleavedOf(a)) return backwardRows(a, ctx);
    // Planar: the frozen sums over all rows stay in the kernel's order, on one thread; through
    // the batch statistics, the pipelined loop (batchnorm.ts), whose dx must not alias its
    // inputs (a thread's first channel writes dx before reading on).
    if (frozen || a.dx === null || ptrOf(a.dx) === a.dy.ptr || ptrOf(a.dx) === a.x.ptr) return null;
    return byChannels("batchNormBackward", a, ctx);
  },
  // The split primitives: the reductions as the training kernels, the element-wise ones
  // (coefficients from given statistics and the given count) by rows.
  channelStats: (a, ctx) => (interleavedOf(a) ? channelStatsRows(a, ctx) : byChannels("channelStats", a, ctx)),
  backwardReduce: (a, ctx) => (interleavedOf(a) ? backwardReduceRows(a, ctx) : byChannels("backwardReduce", a, ctx)),
  applyStats: byRows("applyStats", ["x", "y"]),
  backwardElemt: byRows("backwardElemt", ["dy", "x", "dx"]),
};
