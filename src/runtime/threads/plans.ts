// How each threaded kernel call is cut between threads, so that every output has the bits
// the one-thread kernel gives, for any thread count:
// - planar batch norm (training forward, backward through the batch statistics): by
//   channels; each thread runs the kernel on its channel range (assembly/units.ts): the
//   in-memory-order passes walk only its channels, and in the pipelined loop a range
//   starting at channel c computes c's statistics as the one-thread loop does;
// - interleaved batch norm (channels last, or S = 1), training forward and backward, the
//   frozen backward with dweight / dbias: by statistics blocks of rows, in phases (a
//   Program's phases run one after the other, channel-plans.ts);
// - batch norm inference forward and frozen-statistics backward: by rows (channel-plans.ts);
// - the split primitives: reductions as the training kernels, element-wise by rows;
// - the row norms (layer, RMS, and of a residual add) by rows, their backwards' parameter
//   gradients by 32-row blocks merged in a second phase; group / instance norm by samples
//   (row-plans.ts).
// Tiny channels or rows run on the calling thread alone.

import type { Region } from "../backend.js";
import { KERNELS, THREAD_KERNELS, type KernelArgs, type KernelName, type ThreadKernelName } from "../kernels.js";
import { positional } from "../wasm-backend.js";
import { COPY, ENTRY, KERNEL } from "./protocol.js";
import { BATCH_NORM_PLANS } from "./channel-plans.js";
import { ROW_PLANS } from "./row-plans.js";

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

/** What a program may call: every export a thread instantiates, by its index in the call table. */
export type Callable = KernelName | ThreadKernelName;
export const CALLABLE = [...Object.keys(KERNELS), ...Object.keys(THREAD_KERNELS)] as Callable[];
const INDEX = Object.fromEntries(CALLABLE.map((name, i) => [name, i])) as Record<Callable, number>;

/**
 * The entries of one call, per thread, in phases: every thread runs its entries of a phase,
 * and the next phase starts once all threads are done (one parallel step of the pool each;
 * a phase with work for the calling thread alone runs there without waking the workers).
 * A program has one phase until barrier() starts the next.
 */
export class Program {
  /** phases[p][t]: thread t's entries of phase p. */
  readonly phases: number[][][] = [];
  /** Temporary regions, freed after the call. */
  readonly temps: Region[] = [];

  constructor(readonly threads: number) {
    this.barrier();
  }

  /** The entries added after this run once every thread has run the entries added before it. */
  barrier(): void {
    this.phases.push(Array.from({ length: this.threads }, () => []));
  }

  /** Thread t calls kernel `name` with positional `values` on units [from, to). */
  kernel(t: number, name: Callable, values: readonly number[], from = 0, to = ALL_UNITS): void {
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
    return this.phases[this.phases.length - 1][t];
  }

  /** Fills the entry just pushed up to ENTRY words. */
  private pad(w: number[]): void {
    while (w.length % ENTRY !== 0) w.push(0);
  }
}

/** What a plan may use of its backend. */
/** Where the kernels' blocks end (assembly/threads.ts exports): the plans cut there. */
export interface BlockGeometry {
  /** Rows per statistics block of an interleaved batch norm of C channels. */
  statsBlockRows(C: number): number;
  /** Bytes of a statistics block's slot in the partials. */
  statsSlotBytes(C: number): number;
  /** Rows per f32 block of the row backwards' parameter gradients. */
  readonly gradBlockRows: number;
}

export interface PlanContext {
  readonly threads: number;
  readonly geometry: BlockGeometry;
  /** Elements of work per thread below which fewer threads are woken (MIN_ELEMENTS_PER_THREAD; the tests lower it). */
  readonly minElementsPerThread: number;
  alloc(bytes: number): Region;
}

export type Plan<A> = (a: A, ctx: PlanContext) => Program | null;

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

export const shifted = (r: Region | null, bytes: number): number => (r === null ? 0 : r.ptr + bytes);

/** The plan of each threaded kernel (the others always run on the calling thread). */
export const PLANS: { readonly [K in KernelName]?: Plan<KernelArgs<K>> } = {
  ...BATCH_NORM_PLANS,
  ...ROW_PLANS,
};
