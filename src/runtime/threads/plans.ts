// How each threaded kernel call is cut between threads, so that every output has the bits
// the one-thread kernel gives, for any thread count:
// - planar batch norm (training forward, backward through the batch statistics): by
//   channels; each thread runs the kernel on its channel range (assembly/units.ts): the
//   in-memory-order passes walk only its channels, and in the pipelined loop a range
//   starting at channel c computes c's statistics as the one-thread loop does;
// - the centered row norms (layer norm of a residual add): forward, and backward without
//   parameter gradients, by rows, each thread on its rows through a block of its own (the
//   statistics copied in or out); rows are independent.
// - interleaved batch norm (channels last, or S = 1), training forward and backward: by
//   blocks of 4 channels (channel-plans.ts);
// - batch norm inference forward and frozen-statistics backward: by rows (channel-plans.ts);
// - the split primitives: reductions by channels or blocks of channels, element-wise by rows.
// Everything else (layer, group and
// RMS norm, tiny channels or rows) runs on the calling thread alone.

import { type Block, blockBytes, fieldOffset, type ParamField } from "../block.js";
import type { Region } from "../backend.js";
import { FLAGS, KERNELS, type KernelArgs, type KernelName } from "../kernels.js";
import { positional } from "../wasm-backend.js";
import { COPY, ENTRY, KERNEL } from "./protocol.js";
import { byChannelUnits, evalForward, frozenBackward, SPLIT_PLANS } from "./channel-plans.js";

/** Channels (rows) of at most this many values take the exact f64 paths, which ignore unit ranges (EXACT_COUNT, EXACT_ROW). */
export const EXACT = 8;
/** Every unit (assembly/units.ts). */
export const ALL_UNITS = 0x7fffffff;

/**
 * Elements of work below which a call stays on one thread, per thread added: waking a
 * worker and waiting for it cost about 75 us here (BatchNorm 8x32x32x32 NCHW, 262,144
 * elements, training forward + backward: 0.164 ms on one thread, 0.240 on two at 1 << 16).
 */
export const MIN_ELEMENTS_PER_THREAD = 1 << 19;

const INDEX = Object.fromEntries(Object.keys(KERNELS).map((name, i) => [name, i])) as Record<KernelName, number>;

/** The entries of one parallel call, per thread. */
export class Program {
  readonly words: number[][] = [];
  /** Temporary regions, freed after the call. */
  readonly temps: Region[] = [];

  constructor(readonly threads: number) {
    for (let t = 0; t < threads; t++) this.words.push([]);
  }

  /** Thread t calls kernel `name` with positional `values` on units [from, to). */
  kernel(t: number, name: KernelName, values: readonly number[], from = 0, to = ALL_UNITS): void {
    const w = this.entry(t);
    w.push(KERNEL, INDEX[name], from, to, values.length);
    for (const v of values) w.push(v);
    this.pad(w);
  }

  /** Thread t copies `bytes` bytes from `src` to `dst` (wasm memory addresses). */
  copy(t: number, dst: number, src: number, bytes: number): void {
    if (bytes <= 0) return;
    const w = this.entry(t);
    w.push(COPY, dst, src, bytes);
    this.pad(w);
  }

  private entry(t: number): number[] {
    return this.words[t];
  }

  /** Fills the entry just pushed up to ENTRY words. */
  private pad(w: number[]): void {
    while (w.length % ENTRY !== 0) w.push(0);
  }
}

/** What a plan may use of its backend. */
export interface PlanContext {
  readonly threads: number;
  /** Elements of work per thread below which fewer threads are woken (MIN_ELEMENTS_PER_THREAD; the tests lower it). */
  readonly minElementsPerThread: number;
  alloc(bytes: number): Region;
}

export type Plan<A> = (a: A, ctx: PlanContext) => Program | null;

/** What a channel plan reads of a batch-norm kernel's arguments. */
interface ChannelArgs {
  readonly N: number;
  readonly C: number;
  readonly S: number;
  readonly flags: number;
}

/** What a row plan reads of a row kernel's arguments (and the tensors it shifts by rows). */
interface RowArgs {
  readonly R: number;
  readonly L: number;
  readonly flags: number;
  readonly block: Block;
  readonly dx?: Region | null;
}

/** Threads worth waking for `elements` of work cut into `units` independent pieces. */
export function threadsFor(ctx: PlanContext, elements: number, units: number): number {
  return Math.max(1, Math.min(ctx.threads, units, Math.floor(elements / ctx.minElementsPerThread)));
}

/** [first, end) of part t of n items cut into T near-equal parts. */
export const part = (n: number, T: number, t: number): [number, number] => [Math.floor((t * n) / T), Math.floor(((t + 1) * n) / T)];

/** The kernel's positional arguments with some tensor arguments replaced by addresses. */
export function argsWith(name: KernelName, a: object, replace: Record<string, number>): number[] {
  const values = positional(name, a, []);
  const names: readonly string[] = KERNELS[name].args;
  for (const [arg, value] of Object.entries(replace)) values[names.indexOf(arg)] = value;
  return values;
}

const ptrOf = (r: Region | null): number => (r === null ? 0 : r.ptr);
export const shifted = (r: Region | null, bytes: number): number => (r === null ? 0 : r.ptr + bytes);

/** Planar batch norm by channel ranges, when every channel goes through the pipelined loop; interleaved by blocks of channels. */
function byChannels(name: "batchNormTrainForward" | "batchNormBackward"): Plan<ChannelArgs> {
  return (a, ctx) => (a.N * a.S <= EXACT ? null : byChannelUnits(name, a, ctx));
}

const trainForward = byChannels("batchNormTrainForward");
const backwardByChannels = byChannels("batchNormBackward");

/** The row-norm kernels a plan may cut (the centered ones: layer norm of a residual add). */
type RowKernel = "rowNormForward" | "rowNormBackward";

/** Whether the kernel reads / writes the per-row mean (layer norm, centered row norms). */
const centered = (flags: number) => (flags & FLAGS.centered) !== 0;

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
 * or out (forward) around its kernel call.
 */
function rowUnits(
  name: RowKernel, a: RowArgs, ctx: PlanContext, T: number, rowsPer: number,
): Program {
  const { R, L, flags } = a;
  const block = a.block;
  const units = Math.ceil(R / rowsPer);
  const forward = name.endsWith("Forward");
  const scratch = block.region.byteLength - fieldOffset("scratch", block.K, block.P);
  const stats = centered(flags) ? (["mean", "invstd"] as const) : (["invstd"] as const);
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
    }
  }
  return program;
}

function rowForward(name: "rowNormForward"): Plan<RowArgs> {
  return (a, ctx) => {
    const T = threadsFor(ctx, a.R * a.L, a.R);
    return T < 2 ? null : rowUnits(name, a, ctx, T, Math.ceil(a.R / T));
  };
}

/**
 * Row backwards without parameter gradients (dx only), by rows. With dweight / dbias /
 * daddBias wanted they stay on one thread: those are sums over rows that the kernel adds in
 * f32 over 32 rows, then in f64 block after block, so the same bits need units of exactly 32
 * rows merged in row order, and that cut measured 2.6x slower than one thread here (64x197x768:
 * 17.4 ms against 6.6; docs/threads.md).
 */
function rowBackward(name: "rowNormBackward"): Plan<RowArgs> {
  return (a, ctx) => {
    const { R, L, flags } = a;
    const grads = flags & (FLAGS.dweight | FLAGS.dbias) || (flags & FLAGS.daddBias && a.dx);
    if (L <= EXACT || grads) return null;
    const T = threadsFor(ctx, R * L, R);
    return T < 2 ? null : rowUnits(name, a, ctx, T, Math.ceil(R / T));
  };
}

const rowNormForward = rowForward("rowNormForward");
const rowNormBackward = rowBackward("rowNormBackward");

/** The plan of each threaded kernel (the others always run on the calling thread). */
export const PLANS: { readonly [K in KernelName]?: Plan<KernelArgs<K>> } = {
  // y must not alias x: a thread's first channel writes y before reading x on (batchnorm.ts).
  batchNormTrainForward: (a, ctx) => (a.x.ptr === a.y.ptr ? null : trainForward(a, ctx)),
  batchNormEvalForward: (a, ctx) => evalForward(a, ctx),
  ...SPLIT_PLANS,
  batchNormBackward: (a, ctx) => {
    // Through the batch statistics with dx wanted: the pipelined loop (batchnorm.ts), whose
    // dx must not alias its inputs (a thread's first channel writes dx before reading on).
    if (!(a.flags & FLAGS.training)) return frozenBackward(a, ctx);
    if (a.dx === null || ptrOf(a.dx) === a.dy.ptr || ptrOf(a.dx) === a.x.ptr) return null;
    return backwardByChannels(a, ctx);
  },
  // RMS norm's and layer norm's rows are software-pipelined (a row's statistic summed while
  // the previous row is written, assembly/rownorm.ts, layernorm.ts): a range's first row
  // would get other bits, so they stay on one thread; the centered row norms (layer norm of
  // a residual add) are cut.
  rowNormForward: (a, ctx) => (a.flags & FLAGS.centered ? rowNormForward(a, ctx) : null),
  rowNormBackward: (a, ctx) => (a.flags & FLAGS.centered ? rowNormBackward(a, ctx) : null),
};
