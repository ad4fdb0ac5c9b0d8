// The in-page benchmark: training forward, inference forward and backward of batch norm on
// a few shapes that finish quickly in a browser, for the SIMD build, the scalar build and
// the pure-JS reference, each also as a ratio to a plain memory.copy of the same bytes
// (backend.copy) in the same run: the floor no pass over the data can beat.
import {
  BatchNorm1d, BatchNorm2d, createBackend, createReferenceBackend, simdSupported, tensor,
  type Backend, type BatchNormBase, type Layout,
} from "../../../src/index.js";
import { lcg } from "./train.js";

export interface BenchShape {
  readonly label: string;
  readonly shape: readonly number[];
  readonly layout: Layout;
}

export const SHAPES: readonly BenchShape[] = [
  { label: "(8, 32, 32, 32) NCHW", shape: [8, 32, 32, 32], layout: "NCHW" },
  { label: "(8, 32, 32, 32) NHWC", shape: [8, 32, 32, 32], layout: "NHWC" },
  { label: "(16, 64, 28, 28) NCHW", shape: [16, 64, 28, 28], layout: "NCHW" },
  { label: "(256, 1024)", shape: [256, 1024], layout: "NCHW" },
];

export type Impl = "simd" | "scalar" | "js";
export type Op = "train forward" | "eval forward" | "backward";
export const IMPLS: readonly Impl[] = ["simd", "scalar", "js"];
export const OPS: readonly Op[] = ["train forward", "eval forward", "backward"];

export interface BenchRow {
  shape: string;
  op: Op;
  bytes: number;
  /** Milliseconds per call (fastest sample), per implementation; the SIMD entry is absent without SIMD. */
  ms: Partial<Record<Impl, number>>;
  /** The same bytes through memory.copy, in milliseconds. */
  copyMs: number;
}

const yieldToPage = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Milliseconds per call of fn: the fastest of repeated samples, the figure least disturbed by
 * whatever else the machine runs (the op and its copy floor are measured at different
 * moments, so their ratio needs both undisturbed). Each sample calls fn until at least 5 ms
 * have passed (browsers coarsen performance.now to 0.1 ms or so) and divides by the count;
 * sampling runs for about budgetMs.
 */
export function timeMs(fn: () => void, budgetMs: number): number {
  fn();
  fn();
  let best = Infinity;
  const end = performance.now() + budgetMs;
  for (let samples = 0; samples < 3 || performance.now() < end; samples++) {
    const start = performance.now();
    let calls = 0, now = start;
    do {
      fn();
      calls++;
      now = performance.now();
    } while (now - start < 5);
    best = Math.min(best, (now - start) / calls);
  }
  return best;
}

function moduleFor(s: BenchShape, backend: Backend): BatchNormBase {
  const C = s.layout === "NHWC" ? s.shape[s.shape.length - 1] : s.shape[1];
  return s.shape.length === 2 ? new BatchNorm1d(C, { backend }) : new BatchNorm2d(C, { backend, layout: s.layout });
}

/** ms per call of each op on one backend, through the zero-copy path (tensors in its memory). */
function timeOps(s: BenchShape, backend: Backend, x: Float32Array, dy: Float32Array, budgetMs: number): Record<Op, number> {
  const m = moduleFor(s, backend);
  const xt = tensor(s.shape, x, { backend });
  const dyt = tensor(s.shape, dy, { backend });
  m.train();
  const trainForward = timeMs(() => m.forward(xt).dispose(), budgetMs);
  const y = m.forward(xt); // the forward the backward differentiates
  const backward = timeMs(() => m.backward(dyt).dx.dispose(), budgetMs);
  y.dispose();
  m.eval();
  const evalForward = timeMs(() => m.forward(xt).dispose(), budgetMs);
  xt.dispose();
  dyt.dispose();
  m.dispose();
  return { "train forward": trainForward, "eval forward": evalForward, backward };
}

/** A copy of `bytes` bytes between two blocks of a wasm backend's memory (TypedArray.set: a memmove). */
function timeCopy(backend: Backend, bytes: number, budgetMs: number): number {
  const src = backend.alloc(bytes);
  const dst = backend.alloc(bytes);
  src.f32().fill(1);
  const ms = timeMs(() => dst.f32().set(src.f32()), budgetMs);
  src.free();
  dst.free();
  return ms;
}

/** Runs every shape; onRow is called as soon as a shape's rows are measured. */
export async function runBenchmark(onRow: (rows: BenchRow[]) => void, budgetMs = 60): Promise<BenchRow[]> {
  const backends: Partial<Record<Impl, Backend>> = {
    ...(simdSupported() ? { simd: createBackend({ simd: true }) } : {}),
    scalar: createBackend({ simd: false }),
    js: createReferenceBackend(),
  };
  const all: BenchRow[] = [];
  for (const s of SHAPES) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const rand = lcg(size);
    const x = Float32Array.from({ length: size }, () => rand() * 4 - 1);
    const dy = Float32Array.from({ length: size }, () => rand() - 0.5);
    const bytes = size * 4;
    const copyMs = timeCopy(backends.simd ?? backends.scalar!, bytes, budgetMs);
    await yieldToPage();
    const times: Partial<Record<Impl, Record<Op, number>>> = {};
    for (const impl of IMPLS) {
      const backend = backends[impl];
      if (!backend) continue;
      times[impl] = timeOps(s, backend, x, dy, budgetMs);
      await yieldToPage();
    }
    const rows = OPS.map((op) => ({
      shape: s.label, op, bytes, copyMs,
      ms: Object.fromEntries(Object.entries(times).map(([impl, t]) => [impl, t[op]])) as Partial<Record<Impl, number>>,
    }));
    all.push(...rows);
    onRow(rows);
  }
  return all;
}
