// A sync group, seen from the thread that starts the workers: it owns the shared buffer,
// hands each worker its handle, and watches the workers so that one that throws or exits
// breaks the group at once (every peer's pending call then fails instead of waiting).

import { checkOptionKeys, checkPositiveInteger, describe, fail } from "../../runtime/checks.js";
import { MAX_WORLD, SharedState, bufferBytes } from "./shared-state.js";

export interface SyncGroupOptions {
  /** Number of ranks (workers), 1 to 56. */
  worldSize: number;
  /** Largest channel count of a SyncBatchNorm in the group (default 4096): sizes the exchange slots. */
  maxChannels?: number;
  /** How long a rank waits for its peers at an exchange before the group breaks (ms, default 60000). */
  timeoutMs?: number;
}

/** What a worker needs to join a group: plain data, sent with postMessage or workerData. */
export interface SyncGroupHandle {
  readonly kind: "batchnorm-wasm/sync-group";
  readonly buffer: SharedArrayBuffer;
  readonly rank: number;
  readonly worldSize: number;
  /** f64 payload values per slot: 2 * maxChannels. */
  readonly slotValues: number;
  readonly timeoutMs: number;
}

/** A Node worker_threads Worker or a browser Web Worker. */
type WatchedWorker =
  | { on(event: "error", listener: (error: Error) => void): unknown; on(event: "exit", listener: (code: number) => void): unknown }
  | { addEventListener(type: string, listener: (event: { message?: string; error?: unknown }) => void): void };

const WHERE = "createSyncGroup";

export class SyncGroup {
  readonly worldSize: number;
  readonly maxChannels: number;
  readonly timeoutMs: number;
  private readonly state: SharedState;

  /** @internal Use createSyncGroup(). */
  constructor(options: SyncGroupOptions) {
    if (typeof options !== "object" || options === null) fail(WHERE, `options must be { worldSize, maxChannels, timeoutMs }, got ${describe(options)}`);
    checkOptionKeys(WHERE, options, ["worldSize", "maxChannels", "timeoutMs"]);
    this.worldSize = checkPositiveInteger(WHERE, "worldSize", options.worldSize);
    if (this.worldSize > MAX_WORLD) fail(WHERE, `worldSize must be at most ${MAX_WORLD}, got ${this.worldSize}`);
    this.maxChannels = checkPositiveInteger(WHERE, "maxChannels", options.maxChannels ?? 4096);
    this.timeoutMs = checkPositiveInteger(WHERE, "timeoutMs", options.timeoutMs ?? 60_000);
    if (typeof SharedArrayBuffer === "undefined") {
      fail(WHERE, "SharedArrayBuffer is not available here (browsers need a cross-origin isolated page: COOP / COEP headers)");
    }
    const layout = { worldSize: this.worldSize, slotValues: 2 * this.maxChannels };
    this.state = new SharedState(new SharedArrayBuffer(bufferBytes(layout)), layout);
  }

  /** The handle rank `rank` joins with (pass it to that worker). */
  handle(rank: number): SyncGroupHandle {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.worldSize) {
      fail("SyncGroup.handle", `rank must be an integer from 0 to ${this.worldSize - 1}, got ${describe(rank)}`);
    }
    return {
      kind: "batchnorm-wasm/sync-group", buffer: this.state.buffer, rank, worldSize: this.worldSize,
      slotValues: this.state.layout.slotValues, timeoutMs: this.timeoutMs,
    };
  }

  /**
   * Breaks the group when `worker` (the one running `rank`) throws an uncaught error or
   * exits (Node), or reports an error (browsers), so its peers fail at once with that
   * reason. A worker that exits after its last collective call breaks nothing anyone waits on.
   */
  watch(worker: WatchedWorker, rank: number): void {
    this.handle(rank);
    if ("on" in worker && typeof worker.on === "function") {
      worker.on("error", (error: Error) => this.abort(`the worker of rank ${rank} threw: ${error?.message ?? String(error)}`));
      worker.on("exit", (code: number) => this.abort(`the worker of rank ${rank} exited with code ${code}`));
    } else if ("addEventListener" in worker && typeof worker.addEventListener === "function") {
      worker.addEventListener("error", (event) => this.abort(`the worker of rank ${rank} threw: ${event.message ?? String(event.error)}`));
    } else {
      fail("SyncGroup.watch", `worker must be a worker_threads Worker or a Web Worker, got ${describe(worker)}`);
    }
  }

  /** Breaks the group: every rank's pending and later collective calls fail with `reason`. */
  abort(reason: string): void {
    this.state.abort(reason);
  }

  /** Why the group broke, or null while it works. */
  get brokenReason(): string | null {
    return this.state.brokenReason();
  }
}

/**
 * A group of `worldSize` ranks for SyncBatchNorm (and allReduce), to be created where the
 * workers are started: give worker r `group.handle(r)` and call `group.watch(worker, r)`.
 */
export function createSyncGroup(options: SyncGroupOptions): SyncGroup {
  return new SyncGroup(options);
}
