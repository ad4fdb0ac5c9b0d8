// The normalizations cut into independent units: the row norms by rows (layer norm, RMS
// norm, and both of a residual add), group / instance norm by samples. Each thread runs the
// kernel once on consecutive units through a block of its own, the statistics copied in
// (backward) or out (forward). The software-pipelined row kernels (a row's sums formed while
// the previous row is written, assembly/layernorm.ts, rownorm.ts) sum a fused row in the
// very order of the unfused sums, so a range's first row has the bits it has in the middle
// of a one-thread call. The row backwards' parameter gradients (sums over all rows) are cut
// at the kernel's 32-row blocks and merged in its order in a second phase (rowBackward).

import { type Block, blockBytes, fieldOffset, type ParamField, type StatField } from "../block.js";
import type { Region } from "../backend.js";
import { FLAGS, KERNELS, type KernelArgs, type KernelName, type ThreadKernelName } from "../kernels.js";
import { EXACT, Program, argsWith, part, shifted, threadsFor, type Plan, type PlanContext } from "./plans.js";

/** The kernels cut here. */
type RowKernel = "layerNormForward" | "layerNormBackward" | "rowNormForward" | "rowNormBackward";

/** What a row plan reads of a row kernel's arguments (and the tensors it shifts by rows). */
interface RowArgs {
  readonly R: number;
  readonly L: number;
  readonly flags: number;
  readonly block: Block;
  readonly dx?: Region | null;
}

/** The per-row statistics a kernel reads or writes: layer norm and the centered row norms have a mean. */
const statsOf = (name: RowKernel, flags: number): readonly StatField[] =>
  name.startsWith("layerNorm") || flags & FLAGS.centered ? ["mean", "invstd"] : ["invstd"];

/** The per-element parameter arrays a row kernel reads, as flagged. */
function paramsRead(flags: number): ParamField[] {
  const read: ParamField[] = [];
  if (flags & FLAGS.weight) read.push("weight");
  if (flags & FLAGS.bias) read.push("bias");
  if (flags & FLAGS.addBias) read.push("addBias");
  return read;
}

/**
 * How a kernel's independent units lie: `units` of them (rows, or samples of a group norm),
 * `count` the kernel argument that says how many, `statsPer` statistics per unit (1, or G),
 * `P` parameters per element or channel, `unitBytes` of each tensor per unit.
 */
interface Cut {
  readonly count: "R" | "N";
  readonly units: number;
  readonly statsPer: number;
  readonly P: number;
  readonly unitBytes: number;
  readonly stats: readonly StatField[];
}

const rowCut = (name: RowKernel, a: RowArgs): Cut =>
  ({ count: "R", units: a.R, statsPer: 1, P: a.L, unitBytes: a.L * 4, stats: statsOf(name, a.flags) });

/** Columns per unit of gradMerge (assembly/units.ts firstColumn). */
const COLUMN_BLOCK = 4;

/** The row backwards' kernels that store their parameter gradients' block sums (assembly/blocksums.ts). */
const BLOCKS_KERNEL = { layerNormBackward: "layerNormBackwardBlocks", rowNormBackward: "rowNormBackwardBlocks" } as const;

/** Where a Blocks kernel's threads store their blocks' sums: slot b of `slotBytes` at ptr + b * slotBytes. */
interface Partials {
  readonly kernel: ThreadKernelName;
  readonly ptr: number;
  readonly slotBytes: number;
}

/** How unitRanges' threads differ from the plain kernel on fewer units. */
interface RangeOptions {
  /** Ranges start at multiples of this many units (the last takes the tail); default 1. */
  readonly align?: number;
  /** Each thread calls this Blocks kernel, its first block's slot the last argument. */
  readonly partials?: Partials;
  /** Adds thread t's entries after its kernel call (its block `own`, its units [first, first + count)). */
  readonly after?: (program: Program, t: number, own: Region, first: number, count: number) => void;
}

/**
 * The kernel on T threads, each on one range of consecutive units through a block of its own
 * (K = its units * statsPer, P, the main block's scratch size): the parameters it reads and
 * (backward) its units' statistics copied in before its one kernel call, (forward) the
 * statistics copied out after it.
 */
function unitRanges(
  name: KernelName, a: { readonly flags: number; readonly block: Block }, cut: Cut, ctx: PlanContext, T: number,
  { align = 1, partials, after }: RangeOptions = {},
): Program {
  const { flags, block } = a;
  const { P, statsPer } = cut;
  const groups = Math.ceil(cut.units / align);
  const forward = name.endsWith("Forward");
  const scratch = block.region.byteLength - fieldOffset("scratch", block.K, block.P);
  const program = new Program(T);
  for (let t = 0; t < T; t++) {
    const [g0, g1] = part(groups, T, t);
    if (g0 === g1) continue;
    const first = g0 * align, count = Math.min(g1 * align, cut.units) - first, K = count * statsPer;
    const own = ctx.alloc(blockBytes(K, P, scratch));
    program.temps.push(own);
    for (const p of paramsRead(flags)) {
      program.copy(t, own.ptr + fieldOffset(p, K, P), block.ptr + fieldOffset(p, block.K, block.P), P * 4);
    }
    const moveStats = (toOwn: boolean) => {
      for (const s of cut.stats) {
        const mine = own.ptr + fieldOffset(s, K, P), main = block.ptr + fieldOffset(s, block.K, block.P) + first * statsPer * 8;
        program.copy(t, toOwn ? mine : main, toOwn ? main : mine, K * 8);
      }
    };
    if (!forward) moveStats(true);
    const tensors: Record<string, number> = { [cut.count]: count, block: own.ptr };
    for (const arg of ["x", "y", "dy", "dx", "residual", "sum", "dsum"]) {
      if ((KERNELS[name].args as readonly string[]).includes(arg)) {
        tensors[arg] = shifted((a as unknown as Record<string, Region | null>)[arg], first * cut.unitBytes);
      }
    }
    const values = argsWith(name, a, tensors);
    if (partials) program.kernel(t, partials.kernel, [...values, partials.ptr + g0 * partials.slotBytes]);
    else program.kernel(t, name, values);
    if (forward) moveStats(false);
    after?.(program, t, own, first, count);
  }
  return program;
}

/** Row forwards, by rows. */
function rowForward(name: "layerNormForward" | "rowNormForward"): Plan<RowArgs> {
  return (a, ctx) => {
    const T = threadsFor(ctx, a.R * a.L, a.R);
    return T < 2 ? null : unitRanges(name, a, rowCut(name, a), ctx, T);
  };
}

/**
 * Row backwards, by rows. The parameter gradients are sums over rows that the kernel adds in
 * f32 over blocks of rows (ctx.geometry.gradBlockRows), then block after block in f64 (assembly/blocksums.ts):
 * with any wanted, each thread takes whole blocks and stores their f32 sums in their slots,
 * and a second phase (gradMerge, columns cut across threads) adds the slots in block order,
 * as the one-thread kernel adds its blocks. Rows of at most EXACT values (the exact f64
 * path, summed in f64 throughout) stay on one thread.
 */
function rowBackward(name: "layerNormBackward" | "rowNormBackward"): Plan<RowArgs> {
  return (a, ctx) => {
    const { R, L, flags } = a;
    if (L <= EXACT) return null;
    const grads = flags & (FLAGS.dweight | FLAGS.dbias | (a.dx ? FLAGS.daddBias : 0));
    const align = grads ? ctx.geometry.gradBlockRows : 1, blocks = Math.ceil(R / align);
    const T = threadsFor(ctx, R * L, blocks);
    if (T < 2) return null;
    if (!grads) return unitRanges(name, a, rowCut(name, a), ctx, T);
    const arrays = name === "layerNormBackward" ? 2 : 3, slotBytes = arrays * L * 4;
    const partials = ctx.alloc(blocks * slotBytes);
    const program = unitRanges(name, a, rowCut(name, a), ctx, T, { align, partials: { kernel: BLOCKS_KERNEL[name], ptr: partials.ptr, slotBytes } });
    program.temps.push(partials);
    program.barrier();
    const columns = Math.ceil(L / COLUMN_BLOCK), M = Math.min(T, threadsFor(ctx, blocks * arrays * L, columns));
    for (let t = 0; t < M; t++) {
      program.kernel(t, "gradMerge", [partials.ptr, blocks, arrays, R, L, grads, a.block.ptr], ...part(columns, M, t));
    }
    return program;
  };
}

/** What a group-norm plan reads of its kernel's arguments. */
interface GroupArgs {
  readonly N: number;
  readonly C: number;
  readonly S: number;
  readonly G: number;
  readonly flags: number;
  readonly block: Block;
}

/**
 * Group and instance norm (both layouts) by samples: a sample's groups are independent of
 * the other samples'. The backward's dweight / dbias are per-channel sums over the samples
 * of per-(n, c) f64 sums (assembly/groupnorm.ts paramGrads): the threads run the backward
 * without them and copy their samples' sums into the main block's scratch, and a second
 * phase (groupNormParamGrads, channels cut across threads) sums them in sample order.
 * Runs of at most EXACT values stay on one thread.
 */
function bySamples(name: "groupNormForward" | "groupNormBackward"): Plan<GroupArgs> {
  return (a, ctx) => {
    const { N, C, S, G, flags, block } = a;
    const backward = name === "groupNormBackward";
    if (backward && (C / G) * S <= EXACT) return null;
    const T = threadsFor(ctx, N * C * S, N);
    if (T < 2) return null;
    const stats: readonly StatField[] = backward ? ["mean", "invstd"] : ["mean", "var", "invstd"];
    const cut: Cut = { count: "N", units: N, statsPer: G, P: C, unitBytes: C * S * 4, stats };
    const grads = backward ? flags & (FLAGS.dweight | FLAGS.dbias) : 0;
    if (!grads) return unitRanges(name, a, cut, ctx, T);
    // The per-(n, c) sums: N * C f64 of sum(dy), then N * C of sum(dy * (x - mean)).
    const sums = block.ptr + fieldOffset("scratch", block.K, block.P), plane = N * C * 8;
    const program = unitRanges(name, { ...a, flags: flags & ~grads }, cut, ctx, T, {
      after: (p, t, own, first, count) => {
        const mine = own.ptr + fieldOffset("scratch", count * G, C), bytes = count * C * 8;
        p.copy(t, sums + first * C * 8, mine, bytes);
        p.copy(t, sums + plane + first * C * 8, mine + bytes, bytes);
      },
    });
    program.barrier();
    const M = Math.min(T, threadsFor(ctx, 2 * N * C, C));
    for (let t = 0; t < M; t++) program.kernel(t, "groupNormParamGrads", [N, C, G, grads, block.ptr], ...part(C, M, t));
    return program;
  };
}

export const ROW_PLANS: { readonly [K in RowKernel | "groupNormForward" | "groupNormBackward"]: Plan<KernelArgs<K>> } = {
  groupNormForward: bySamples("groupNormForward"),
  groupNormBackward: bySamples("groupNormBackward"),
  layerNormForward: rowForward("layerNormForward"),
  layerNormBackward: rowBackward("layerNormBackward"),
  rowNormForward: rowForward("rowNormForward"),
  rowNormBackward: rowBackward("rowNormBackward"),
};
