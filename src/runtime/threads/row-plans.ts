// The row norms cut by rows (layer norm, RMS norm, and both of a residual add): each thread
// runs the kernel on consecutive rows through a block of its own, the statistics copied in
// (backward) or out (forward). Rows are independent, and the software-pipelined forwards
// (a row's statistics summed while the previous row is written, assembly/layernorm.ts,
// rownorm.ts) sum a fused row in the very order of the unfused sums, so a range's first row
// has the bits it has in the middle of a one-thread call.

import { type Block, blockBytes, fieldOffset, type ParamField } from "../block.js";
import type { Region } from "../backend.js";
import { FLAGS, KERNELS, type KernelArgs } from "../kernels.js";
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

type Stat = "mean" | "invstd";

/** The per-row statistics a kernel reads or writes: layer norm and the centered row norms have a mean. */
const statsOf = (name: RowKernel, flags: number): readonly Stat[] =>
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
 * Rows cut into `units` runs of `rowsPer` rows (the last may be shorter), T threads each
 * on consecutive units through a block of its own (K = rowsPer, P = L, the main block's
 * scratch size): its parameters copied in once, each unit's statistics copied in (backward)
 * or out (forward) around its kernel call; `after` adds entries after each unit's call.
 */
function rowUnits(
  name: RowKernel, a: RowArgs, ctx: PlanContext, T: number, rowsPer: number,
  after: (program: Program, t: number, u: number, rows: number, ownPtr: number) => void = () => {},
): Program {
  const { R, L, flags } = a;
  const block = a.block;
  const units = Math.ceil(R / rowsPer);
  const forward = name.endsWith("Forward");
  const scratch = block.region.byteLength - fieldOffset("scratch", block.K, block.P);
  const stats = statsOf(name, flags);
  const program = new Program(T);
  const rowBytes = L * 4;
  for (let t = 0; t < T; t++) {
    const [u0, u1] = part(units, T, t);
    if (u0 === u1) continue;
    const own = ctx.alloc(blockBytes(rowsPer, L, scratch));
    program.temps.push(own);
    let laidOut = 0;
    for (let u = u0; u < u1; u++) {
      const r0 = u * rowsPer, rows = Math.min(rowsPer, R - r0), at = r0 * rowBytes;
      // The kernel lays its block out for K = rows: the parameters move with K (the last unit).
      if (rows !== laidOut) {
        for (const p of paramsRead(flags)) {
          program.copy(t, own.ptr + fieldOffset(p, rows, L), block.ptr + fieldOffset(p, block.K, block.P), rowBytes);
        }
        laidOut = rows;
      }
      const moveStats = (toOwn: boolean) => {
        for (const s of stats) {
          const mine = own.ptr + fieldOffset(s, rows, L), main = block.ptr + fieldOffset(s, block.K, block.P) + r0 * 8;
          program.copy(t, toOwn ? mine : main, toOwn ? main : mine, rows * 8);
        }
      };
      if (!forward) moveStats(true);
      const tensors: Record<string, number> = { R: rows, block: own.ptr };
      for (const arg of ["x", "y", "dy", "dx", "residual", "sum", "dsum"]) {
        if ((KERNELS[name].args as readonly string[]).includes(arg)) {
          tensors[arg] = shifted((a as unknown as Record<string, Region | null>)[arg], at);
        }
      }
      program.kernel(t, name, argsWith(name, a, tensors));
      if (forward) moveStats(false);
      after(program, t, u, rows, own.ptr);
    }
  }
  return program;
}

/** Row forwards, by rows. */
function rowForward(name: "layerNormForward" | "rowNormForward"): Plan<RowArgs> {
  return (a, ctx) => {
    const T = threadsFor(ctx, a.R * a.L, a.R);
    return T < 2 ? null : rowUnits(name, a, ctx, T, Math.ceil(a.R / T));
  };
}

/** Rows per f32 block of the row backwards' parameter gradients (FLUSH_ROWS in assembly/layernorm.ts, rownorm.ts). */
const FLUSH_ROWS = 32;

/** The parameter gradients a row backward writes, as flagged (daddBias only with dx). */
function gradsWritten(a: RowArgs): ParamField[] {
  const grads: ParamField[] = [];
  if (a.flags & FLAGS.dweight) grads.push("dweight");
  if (a.flags & FLAGS.dbias) grads.push("dbias");
  if (a.flags & FLAGS.daddBias && a.dx) grads.push("daddBias");
  return grads;
}

/**
 * Row backwards by rows. Parameter gradients are sums over rows that the kernel adds in f32
 * over blocks of FLUSH_ROWS rows, then in f64 block after block: cut into units of exactly
 * FLUSH_ROWS rows (a property of the kernel, not of the thread count), each unit's gradient
 * is that f32 block sum, and the calling thread adds the units up in f64 in row order, as
 * the kernel does.
 */
function rowBackward(name: "layerNormBackward" | "rowNormBackward"): Plan<RowArgs> {
  return (a, ctx) => {
    const { R, L } = a;
    if (L <= EXACT) return null;
    const grads = gradsWritten(a);
    if (grads.length === 0) {
      const T = threadsFor(ctx, R * L, R);
      return T < 2 ? null : rowUnits(name, a, ctx, T, Math.ceil(R / T));
    }
    const units = Math.ceil(R / FLUSH_ROWS);
    const T = threadsFor(ctx, R * L, units);
    if (T < 2) return null;
    // Each unit's gradients, unit after unit, one array per gradient.
    const partials = ctx.alloc(grads.length * units * L * 4);
    const program = rowUnits(name, a, ctx, T, FLUSH_ROWS, (p, t, u, rows, own) => {
      grads.forEach((g, j) => p.copy(t, partials.ptr + (j * units + u) * L * 4, own + fieldOffset(g, rows, L), L * 4));
    });
    program.temps.push(partials);
    const block = a.block;
    program.finish = () => {
      const all = partials.f32();
      const total = new Float64Array(L);
      grads.forEach((g, j) => {
        total.fill(0);
        for (let u = 0; u < units; u++) {
          const from = (j * units + u) * L;
          for (let i = 0; i < L; i++) total[i] += all[from + i];
        }
        block.param(g).set(total);
      });
    };
    return program;
  };
}

export const ROW_PLANS: { readonly [K in RowKernel]: Plan<KernelArgs<K>> } = {
  layerNormForward: rowForward("layerNormForward"),
  layerNormBackward: rowBackward("layerNormBackward"),
  rowNormForward: rowForward("rowNormForward"),
  rowNormBackward: rowBackward("rowNormBackward"),
};
