// createThreadedBackend: the kernels on several threads over one shared WebAssembly memory.
// Creation is async (the workers start); every kernel call after it is synchronous, as on
// the other backends, and gives the bits of the one-thread kernel (plans.ts says how each
// call is cut). Where shared memory is missing (a page that is not cross-origin isolated,
// an older engine) it resolves to a one-thread backend whose `info` says why.
//
// This module is the only importer of the threads builds (src/wasm/*-threads.ts): an app
// that never imports createThreadedBackend does not carry them (the package is sideEffects: false).

import simdThreadsBase64 from "../../wasm/simd-threads.js";
import scalarThreadsBase64 from "../../wasm/scalar-threads.js";
import type { Backend, KernelBackend, Region } from "../backend.js";
import { checkOptionKeys, checkPositiveInteger, describe, fail } from "../checks.js";
import { KERNELS, type KernelArgs, type KernelName } from "../kernels.js";
import {
  createKernelBackend, decodeBase64, resolveBuild, wasmBackend, type BackendOptions, type KernelExports, type WasmBuild,
} from "../wasm-backend.js";
import { ALL_UNITS, CALLABLE, MIN_ELEMENTS_PER_THREAD, PLANS, Program, type Callable, type PlanContext } from "./plans.js";
import { nodeModule, ThreadPool } from "./pool.js";
import { COPY, ENTRY, MAX_THREADS } from "./protocol.js";
import { runEntries, type ThreadExports } from "./worker-source.js";

export interface ThreadedBackendOptions extends BackendOptions {
  /** Threads in all, the calling thread included: an integer from 1 to 64, or "auto" (default; see docs/threads.md). */
  threads?: number | "auto";
  /** How long a call waits for its workers before the backend is declared broken (default 30000 ms). */
  timeoutMs?: number;
  /** Elements of work per thread below which a call wakes fewer workers (tests only). @internal */
  minElementsPerThread?: number;
}

/** What a threaded backend runs. */
export interface ThreadInfo {
  /** The kernel build: SIMD or scalar. */
  readonly build: WasmBuild;
  /** Whether its memory is shared with workers (false: the one-thread fallback). */
  readonly shared: boolean;
  /** How the calling thread waits for the workers: Atomics.wait, or a bounded spin (a browser's main thread); null without workers. */
  readonly wait: "atomics" | "spin" | null;
  /** Why the backend fell back to one thread, or null. */
  readonly fallback: string | null;
}

/** A backend from createThreadedBackend. */
export interface ThreadedBackend extends Backend {
  /** Threads in use, the calling thread included. */
  readonly threads: number;
  readonly info: ThreadInfo;
  /** Terminates the workers; every later kernel call throws. */
  dispose(): void;
}

/**
 * Threads "auto" picks: the cores the engine reports, at most this many. The kernels move
 * memory; past the cores that saturate it more threads add wake-up cost and nothing else
 * (docs/threads.md).
 */
const AUTO_MAX = 8;
const DEFAULT_TIMEOUT_MS = 30_000;
const WHERE = "createThreadedBackend";

async function coreCount(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav && typeof nav.hardwareConcurrency === "number") return nav.hardwareConcurrency;
  try {
    const os = (await nodeModule("os")) as {
      availableParallelism?: () => number;
      cpus(): unknown[];
    };
    return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  } catch {
    return 1;
  }
}

/** Why this engine cannot share a wasm memory with workers, or null when it can. */
function sharingUnavailable(): string | null {
  if (typeof SharedArrayBuffer !== "function") {
    return "SharedArrayBuffer is not available (a browser page must be cross-origin isolated: COOP and COEP headers)";
  }
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    return "the page is not cross-origin isolated (crossOriginIsolated is false: serve it with COOP and COEP headers)";
  }
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
  } catch (error) {
    return `this engine has no shared WebAssembly memory (${String(error)})`;
  }
  return null;
}

/** A threads build's exports: the kernels, the threaded backend's own kernels and the unit range (assembly/units.ts). */
type UnitExports = KernelExports & Record<Callable, (...args: number[]) => void> & {
  setUnits(from: number, to: number): void;
  statsBlockRows(C: number): number;
  statsSlotBytes(C: number): number;
  gradBlockRows(): number;
};

const threadModules: Partial<Record<WasmBuild, WebAssembly.Module>> = {};

/** The threads build of `build`, or a reason it does not run here. */
function threadsModule(build: WasmBuild): WebAssembly.Module | string {
  const cached = threadModules[build];
  if (cached) return cached;
  const bytes = decodeBase64(build === "simd" ? simdThreadsBase64 : scalarThreadsBase64);
  if (!WebAssembly.validate(bytes)) return `this engine does not validate the ${build} threads build (wasm threads)`;
  return (threadModules[build] = new WebAssembly.Module(bytes));
}

function oneThread(build: WasmBuild, maxMemoryBytes: number, fallback: string): ThreadedBackend {
  const base = createKernelBackend({ simd: build === "simd", maxMemoryBytes });
  let disposed = false;
  const kernels: Partial<Record<KernelName, unknown>> = {};
  for (const name of Object.keys(KERNELS) as KernelName[]) {
    const plain = base[name] as (args: unknown) => void;
    kernels[name] = (args: unknown) => {
      if (disposed) fail("batchnorm-wasm: threaded backend", "used after dispose()");
      plain(args);
    };
  }
  const info: ThreadInfo = { build, shared: false, wait: null, fallback };
  return { ...base, ...kernels, threads: 1, info, dispose: () => void (disposed = true) } as ThreadedBackend;
}

/**
 * A backend whose kernels run on `threads` threads (the calling thread and threads - 1
 * workers) over one shared memory, with the bits of the one-thread backend of the same
 * build. Resolves to a one-thread backend (info.fallback says why) where shared memory is
 * missing or the workers cannot start; rejects only for bad options.
 */
export async function createThreadedBackend(options: ThreadedBackendOptions = {}): Promise<ThreadedBackend> {
  checkOptionKeys(WHERE, options, ["threads", "simd", "maxMemoryBytes", "timeoutMs", "minElementsPerThread"]);
  const { threads = "auto", timeoutMs = DEFAULT_TIMEOUT_MS, minElementsPerThread = MIN_ELEMENTS_PER_THREAD, ...rest } = options;
  if (threads !== "auto" && !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    fail(WHERE, `option threads must be an integer from 1 to ${MAX_THREADS} or "auto", got ${describe(threads)}`);
  }
  if (!(typeof timeoutMs === "number" && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    fail(WHERE, `option timeoutMs must be a positive finite number, got ${describe(timeoutMs)}`);
  }
  checkPositiveInteger(WHERE, "minElementsPerThread", minElementsPerThread);
  const { build, maxMemoryBytes } = resolveBuild(WHERE, rest);
  const count = threads === "auto" ? Math.max(1, Math.min(AUTO_MAX, await coreCount())) : threads;
  const unavailable = sharingUnavailable();
  if (unavailable) return oneThread(build, maxMemoryBytes, unavailable);
  const module = threadsModule(build);
  if (typeof module === "string") return oneThread(build, maxMemoryBytes, module);
  let memory: WebAssembly.Memory;
  try {
    const maximum = Math.floor(maxMemoryBytes / 65536);
    memory = new WebAssembly.Memory({ initial: 1, maximum, shared: true } as WebAssembly.MemoryDescriptor);
  } catch (error) {
    return oneThread(build, maxMemoryBytes, `a shared memory of ${maxMemoryBytes} bytes could not be reserved (${String(error)})`);
  }
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as UnitExports;
  let pool: ThreadPool | null = null;
  if (count > 1) {
    try {
      pool = await ThreadPool.start(module, memory, count, CALLABLE, timeoutMs);
    } catch (error) {
      return oneThread(build, maxMemoryBytes, `the workers could not start (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  return threaded(build, wasmBackend(build, exports, maxMemoryBytes), memory, exports, pool, minElementsPerThread);
}

function threaded(
  build: WasmBuild, base: KernelBackend, memory: WebAssembly.Memory, exports: UnitExports, pool: ThreadPool | null,
  minElementsPerThread: number,
): ThreadedBackend {
  const own: ThreadExports = {
    kernels: CALLABLE.map((name) => exports[name]),
    setUnits: (from, to) => exports.setUnits(from, to),
  };
  let table: Region | null = null;
  let disposed = false;
  const geometry = { statsBlockRows: exports.statsBlockRows, statsSlotBytes: exports.statsSlotBytes, gradBlockRows: exports.gradBlockRows() };
  const ctx: PlanContext = { threads: pool ? pool.threads : 1, geometry, minElementsPerThread, alloc: (bytes) => base.alloc(bytes) };

  // The calling thread's entries [first, end) of the table at `ptr`.
  const runOwn = (ptr: number, first: number, end: number): void => {
    try {
      runEntries(memory, own, ptr, first, end, ENTRY, COPY);
    } finally {
      exports.setUnits(0, ALL_UNITS);
    }
  };

  // Every phase is written into the table first (its entries from `ptr`, thread t's up to
  // ends[t]), then the phases run one parallel step each.
  const execute = (program: Program): void => {
    try {
      const entries = program.phases.flat().reduce((n, w) => n + w.length, 0) / ENTRY;
      if (table === null || table.byteLength < entries * ENTRY * 8) {
        table?.free();
        table = null;
        table = base.alloc(Math.max(entries, 64) * 2 * ENTRY * 8);
      }
      const words = table.f64();
      const steps: { ptr: number; ends: number[] }[] = [];
      let at = 0;
      for (const phase of program.phases) {
        const start = at, ends: number[] = [];
        for (const w of phase) {
          words.set(w, at);
          at += w.length;
          ends.push((at - start) / ENTRY);
        }
        steps.push({ ptr: table.ptr + start * 8, ends });
      }
      for (const { ptr, ends } of steps) {
        if (ends[ends.length - 1] === ends[0]) runOwn(ptr, 0, ends[0]);
        else (pool as ThreadPool).run(ptr, ends, (first, end) => runOwn(ptr, first, end));
      }
    } finally {
      for (const r of program.temps) r.free();
    }
  };

  const kernels: Partial<Record<KernelName, unknown>> = {};
  for (const name of Object.keys(KERNELS) as KernelName[]) {
    const plain = base[name] as (args: KernelArgs<typeof name>) => void;
    const plan = PLANS[name] as ((a: KernelArgs<typeof name>, c: typeof ctx) => Program | null) | undefined;
    kernels[name] = (args: KernelArgs<typeof name>) => {
      if (pool?.broken) throw pool.broken;
      if (disposed) fail("batchnorm-wasm: threaded backend", "used after dispose()");
      const program = pool && plan ? plan(args, ctx) : null;
      if (program) execute(program);
      else plain(args);
    };
  }
  const info: ThreadInfo = { build, shared: true, wait: pool ? pool.wait : null, fallback: null };
  const backend = {
    ...base,
    ...kernels,
    threads: ctx.threads,
    info,
    dispose: () => {
      disposed = true;
      pool?.dispose();
    },
  };
  // For the tests: the pool and a way to run a hand-made program (failure injection).
  Object.defineProperty(backend, "threadInternals", { value: { pool, execute }, enumerable: false });
  return backend as ThreadedBackend;
}
