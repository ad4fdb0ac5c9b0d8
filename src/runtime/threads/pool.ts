// The workers of a threaded backend and the one synchronous step they take together: the
// calling thread publishes each thread's slice of the call table, bumps the epoch, runs its
// own slice and waits until every worker has run its one.
//
// Waiting: Atomics.wait where the thread may block (Node's main thread, any worker); a
// browser's main thread may not, so there it spins on Atomics.load, which is what a
// synchronous call would do anyway (the work on the other threads is the same length as
// its own share). Either way the wait is bounded by timeoutMs: a worker that exited, was
// terminated or hangs breaks the backend with an Error instead of freezing the page.
// A worker that throws (a trap in a kernel) says so through the control words, and the
// pending call and every later one throw its message.

import {
  CONTROL_BYTES, EPOCH, ERROR_AT, ERROR_LENGTH, FAILED, MAX_THREADS, PENDING, SLICES, STOP, TABLE,
} from "./protocol.js";
import { LAYOUT, workerSource, type WorkerInit } from "./worker-source.js";

/** The part of a Worker (web) or worker_threads.Worker (Node) the pool uses. */
interface Spawned {
  post(message: unknown): void;
  /** Calls `listener` with each message, and with an Error when the worker fails or exits. */
  listen(listener: (message: unknown) => void, failed: (error: Error) => void): void;
  terminate(): void;
}

/** Whether this thread may block in Atomics.wait (a browser's main thread may not). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** The part of Node's worker_threads used (typed here: the shipped code needs no @types/node). */
interface NodeWorker {
  postMessage(message: unknown): void;
  on(event: "message" | "error" | "exit", listener: (value: unknown) => void): void;
  unref(): void;
  terminate(): unknown;
}
interface WorkerThreads {
  readonly Worker: new (code: string, options: { eval: boolean }) => NodeWorker;
}

/**
 * A Node built-in module, imported by a name computed at run time: a browser bundler must
 * not try to resolve it (a literal specifier survives the build's constant folding as one).
 */
export function nodeModule(name: string): Promise<unknown> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ ["node", name].join(":"));
}

async function spawn(node: boolean): Promise<Spawned> {
  if (!node) {
    const url = URL.createObjectURL(new Blob([workerSource(false)], { type: "text/javascript" }));
    const worker = new Worker(url);
    URL.revokeObjectURL(url);
    return {
      post: (m) => worker.postMessage(m),
      listen: (listener, failed) => {
        worker.onmessage = (e) => listener(e.data);
        worker.onerror = (e) => {
          e.preventDefault();
          failed(new Error(e.message || "a worker failed to start"));
        };
      },
      terminate: () => worker.terminate(),
    };
  }
  const threads = (await nodeModule("worker_threads")) as WorkerThreads;
  const worker = new threads.Worker(workerSource(true), { eval: true });
  return {
    post: (m) => worker.postMessage(m),
    listen: (listener, failed) => {
      worker.on("message", (m) => {
        // Idle workers block in Atomics.wait; unref lets the process exit around them. Made
        // before the worker is online (Node 20), an unref did not hold: it is made on its message.
        worker.unref();
        listener(m);
      });
      worker.on("error", (e) => failed(e instanceof Error ? e : new Error(String(e))));
      worker.on("exit", (code) => failed(new Error(`a worker exited (code ${code})`)));
    },
    terminate: () => void worker.terminate(),
  };
}

/** How long the workers may take to start (a loaded machine compiles slowly; not timeoutMs, which bounds a call). */
const START_TIMEOUT_MS = 60_000;

export class ThreadPool {
  /** Why the pool cannot run calls any more (a worker failed or exited, a wait timed out, dispose). */
  broken: Error | null = null;
  private readonly control: Int32Array;
  private readonly blocking = canBlock();

  private constructor(
    private readonly workers: readonly Spawned[],
    private readonly controlBuffer: SharedArrayBuffer,
    private readonly timeoutMs: number,
  ) {
    this.control = new Int32Array(controlBuffer);
  }

  /** Threads in all, the calling thread included. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /** How the calling thread waits for the workers. */
  get wait(): "atomics" | "spin" {
    return this.blocking ? "atomics" : "spin";
  }

  /**
   * Starts threads - 1 workers on `module` over `memory` and waits until each has
   * instantiated it (or one fails: the promise rejects and the started ones are terminated).
   */
  static async start(
    module: WebAssembly.Module, memory: WebAssembly.Memory, threads: number, kernels: readonly string[], timeoutMs: number,
  ): Promise<ThreadPool> {
    if (threads > MAX_THREADS) throw new Error(`at most ${MAX_THREADS} threads`);
    const node = typeof (globalThis as { Worker?: unknown }).Worker !== "function";
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const workers: Spawned[] = [];
    const pool = new ThreadPool(workers, control, timeoutMs);
    try {
      const ready: Promise<void>[] = [];
      for (let index = 1; index < threads; index++) {
        const worker = await spawn(node);
        workers.push(worker);
        ready.push(new Promise<void>((resolve, reject) => {
          let started = false;
          worker.listen((message) => {
            const m = message as { ready?: boolean; failed?: string };
            if (m.ready) {
              started = true;
              resolve();
            } else if (m.failed) reject(new Error(`worker ${index} could not instantiate the kernels: ${m.failed}`));
          }, (error) => {
            if (!started) reject(error);
            else pool.breakWith(new Error(`batchnorm-wasm: threaded backend: worker ${index} stopped: ${error.message}`, { cause: error }));
          });
        }));
        const init: WorkerInit = { module, memory, control, index, kernels, layout: LAYOUT };
        worker.post(init);
      }
      await withTimeout(Promise.all(ready), START_TIMEOUT_MS, "the workers did not start");
    } catch (error) {
      pool.dispose();
      throw error;
    }
    return pool;
  }

  /**
   * One parallel step: thread t runs entries [ends[t - 1], ends[t]) of the table at byte
   * address `table` (ends[-1] = 0); the calling thread runs its slice with `own`. Returns
   * when all are done; throws (and breaks the pool) when a worker failed or timed out.
   */
  run(table: number, ends: readonly number[], own: (first: number, end: number) => void): void {
    if (this.broken) throw this.broken;
    const c = this.control;
    for (let t = 1; t < this.threads; t++) {
      c[SLICES + 2 * t] = t - 1 < ends.length ? ends[t - 1] : 0;
      c[SLICES + 2 * t + 1] = t < ends.length ? ends[t] : 0;
    }
    c[TABLE] = table;
    Atomics.store(c, PENDING, this.workers.length);
    Atomics.add(c, EPOCH, 1);
    Atomics.notify(c, EPOCH);
    let ownError: unknown = null;
    try {
      own(0, ends.length > 0 ? ends[0] : 0);
    } catch (error) {
      ownError = error;
    }
    this.awaitWorkers();
    if (Atomics.load(c, FAILED) !== 0) {
      const bytes = new Uint8Array(this.controlBuffer, ERROR_AT, Atomics.load(c, ERROR_LENGTH)).slice();
      this.breakWith(new Error(`batchnorm-wasm: threaded backend: ${new TextDecoder().decode(bytes)}`));
      throw this.broken;
    }
    if (ownError !== null) throw ownError;
  }

  private awaitWorkers(): void {
    const c = this.control;
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const pending = Atomics.load(c, PENDING);
      if (pending === 0) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        this.breakWith(new Error(
          `batchnorm-wasm: threaded backend: ${pending} worker(s) did not finish within ${this.timeoutMs} ms ` +
            "(a worker exited, was terminated or hangs)",
        ));
        throw this.broken;
      }
      if (this.blocking) Atomics.wait(c, PENDING, pending, Math.min(left, 50));
    }
  }

  /** Marks the pool broken (first cause wins) and stops the workers. */
  breakWith(error: Error): void {
    if (this.broken) return;
    this.broken = error;
    this.stop();
  }

  dispose(): void {
    this.breakWith(new Error("batchnorm-wasm: threaded backend: used after dispose()"));
  }

  private stop(): void {
    Atomics.store(this.control, STOP, 1);
    Atomics.add(this.control, EPOCH, 1);
    Atomics.notify(this.control, EPOCH);
    for (const w of this.workers) w.terminate();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
