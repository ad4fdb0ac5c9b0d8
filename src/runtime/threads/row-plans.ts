// The normalizations cut into independent units: the row norms by rows (layer norm, RMS
// norm, and both of a residual add), group / instance norm by samples. Each thread runs the
// kernel on consecutive units through a block of its own, the statistics copied in
// (backward) or out (forward). The software-pipelined row forwards (a row's statistics
// summed while the previous row is written, assembly/layernorm.ts, rownorm.ts) sum a fused
// row in the very order of the unfused sums, so a range's first row has the bits it has in
// the middle of a one-thread call.

import { type Block, blockBytes, fieldOffset, type ParamField, type StatField } from "../block.js";
import type { Region } from "../backend.js";
import { FLAGS, KERNELS, type KernelArgs, type KernelName } from "../kernels.js";
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

/**
 * Units cut into parts of `per` units (the last may be shorter), T threads each on
 * consecutive parts through a block of its own (K = per * statsPer, P, the main block's
 * scratch size): its parameters copied in once, each part's statistics copied in (backward)
 * or out (forward) around its kernel call.
 */
function unitParts(
  name: KernelName, a: { readonly flags: number; readonly block: Block }, cut: Cut, ctx: PlanContext, T: number, per: number,
): Program {
  const { flags, block } = a;
  const { P, statsPer } = cut;
  const parts = Math.ceil(cut.units / per);
  const forward = name.endsWith("Forward");
  const scratch = block.region.byteLength - fieldOffset("scratch", block.K, block.P);
  const program = new Program(T);
  for (let t = 0; t < T; t++) {
    const [u0, u1] = part(parts, T, t);
    if (u0 === u1) continue;
    const own = ctx.alloc(blockBytes(per * statsPer, P, scratch));
    program.temps.push(own);
    let laidOut = 0;
    for (let u = u0; u < u1; u++) {
      const first = u * per, count = Math.min(per, cut.units - first), K = count * statsPer, at = first * cut.unitBytes;
      // The kernel lays its block out for its K: the parameters move with K (the last part).
      if (K !== laidOut) {
        for (const p of paramsRead(flags)) {
          program.copy(t, own.ptr + fieldOffset(p, K, P), block.ptr + fieldOffset(p, block.K, block.P), P * 4);
        }
        laidOut = K;
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
          tensors[arg] = shifted((a as unknown as Record<string, Region | null>)[arg], at);
        }
      }
      program.kernel(t, name, argsWith(name, a, tensors));
      if (forward) moveStats(false);
    }
  }
  return program;
}

const rowUnits = (name: RowKernel, a: RowArgs, ctx: PlanContext, T: number, per: number) =>
  unitParts(name, a, rowCut(name, a), ctx, T, per);

/** Row forwards, by rows. */
function rowForward(name: "layerNormForward" | "rowNormForward"): Plan<RowArgs> {
  return (a, ctx) => {
    const T = threadsFor(ctx, a.R * a.L, a.R);
    return T < 2 ? null : rowUnits(name, a, ctx, T, Math.ceil(a.R / T));
  };
}

/**
 * Row backwards without parameter gradients (dx only), by rows. With dweight / dbias /
 * daddBias they stay on one thread: the cut in units of the kernel's 32-row f32 blocks,
 * merged in f64 in row order (commit 3cf441e), was bit-exact but measured slower than one
 * thread here (LayerNorm 2048x4096 training forward + backward: 17.7 ms against 9.9;
 * docs/threads.md).
 */
function rowBackward(name: "layerNormBackward" | "rowNormBackward"): Plan<RowArgs> {
  return (a, ctx) => {
    const { R, L, flags } = a;
    const grads = flags & (FLAGS.dweight | FLAGS.dbias) || (flags & FLAGS.daddBias && a.dx);
    if (L <= EXACT || grads) return null;
    const T = threadsFor(ctx, R * L, R);
    return T < 2 ? null : rowUnits(name, a, ctx, T, Math.ceil(R / T));
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
 * the other samples'. The backward only without parameter gradients (dweight / dbias are
 * per-channel sums over samples, left on one thread).
 */
function bySamples(name: "groupNormForward" | "groupNormBackward"): Plan<GroupArgs> {
  return (a, ctx) => {
    const { N, C, S, G, flags } = a;
    if (name === "groupNormBackward" && (flags & (FLAGS.dweight | FLAGS.dbias) || (C / G) * S <= EXACT)) return null;
    const T = threadsFor(ctx, N * C * S, N);
    if (T < 2) return null;
    const stats: readonly StatField[] = name === "groupNormForward" ? ["mean", "var", "invstd"] : ["mean", "invstd"];
    return unitParts(name, a, { count: "N", units: N, statsPer: G, P: C, unitBytes: C * S * 4, stats }, ctx, T, Math.ceil(N / T));
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
