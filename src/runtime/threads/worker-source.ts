// The code every worker runs, inlined as text (no file to host: Node runs it with
// `eval: true`, browsers from a Blob URL). A worker instantiates the threads build over the
// shared memory, then waits on the control words and runs its slice of the call table.
// The two functions here are written without imports or outer names, since they are
// turned into source text with Function.prototype.toString; runEntries also runs the
// calling thread's own share, so both sides interpret the table with the same code.

import type { COPY as CopyKind, ENTRY as EntryWords } from "./protocol.js";
import * as protocol from "./protocol.js";

/** The exports a thread calls: the kernels by index, and the unit range (assembly/units.ts). */
export interface ThreadExports {
  readonly kernels: readonly ((...args: number[]) => void)[];
  readonly setUnits: (from: number, to: number) => void;
}

/**
 * Runs entries [first, end) of the call table at byte address `table` of `memory`: kernel
 * calls (each with its unit range) and byte copies; see protocol.ts for the layout.
 */
export function runEntries(
  memory: WebAssembly.Memory, exports: ThreadExports, table: number, first: number, end: number,
  entryWords: typeof EntryWords, copyKind: typeof CopyKind,
): void {
  const buffer = memory.buffer;
  const words = new Float64Array(buffer, table, end * entryWords);
  // One view for every copy: a view of a shared buffer costs microseconds to make.
  const bytes = new Uint8Array(buffer);
  const args: number[] = [];
  for (let e = first; e < end; e++) {
    const w = e * entryWords;
    if (words[w] === copyKind) {
      const src = words[w + 2];
      bytes.copyWithin(words[w + 1], src, src + words[w + 3]);
      continue;
    }
    exports.setUnits(words[w + 2], words[w + 3]);
    args.length = words[w + 4];
    for (let i = 0; i < args.length; i++) args[i] = words[w + 5 + i];
    exports.kernels[words[w + 1]].apply(null, args);
  }
}

/** What a worker is sent once, at start. */
export interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly control: SharedArrayBuffer;
  /** This worker's thread index (1 ... threads - 1; the calling thread is 0). */
  readonly index: number;
  /** The export names of the kernels, in the table's kernel indices. */
  readonly kernels: readonly string[];
  readonly layout: typeof protocol;
}

/** A worker's life: instantiate, say ready, then one slice per epoch until STOP. */
function threadMain(init: WorkerInit, post: (message: unknown) => void, run: typeof runEntries): void {
  const { module, memory, index, layout: L } = init;
  const control = new Int32Array(init.control);
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, { env: { memory } });
  } catch (error) {
    post({ failed: String(error) });
    return;
  }
  const exported = instance.exports as Record<string, (...args: number[]) => void>;
  const exports = { kernels: init.kernels.map((name) => exported[name]), setUnits: exported.setUnits };
  post({ ready: true });
  let seen = 0;
  for (;;) {
    Atomics.wait(control, L.EPOCH, seen);
    const epoch = Atomics.load(control, L.EPOCH);
    // Woken with no new call (the wait returned with the epoch unchanged: seen under
    // Vitest on Node 20, where a second run of the same slice counted twice in PENDING and
    // let the calling thread start the next phase early): wait again.
    if (epoch === seen) continue;
    seen = epoch;
    if (Atomics.load(control, L.STOP) !== 0) return;
    try {
      const first = control[L.SLICES + 2 * index], end = control[L.SLICES + 2 * index + 1];
      if (first < end) run(memory, exports, control[L.TABLE], first, end, L.ENTRY, L.COPY);
    } catch (error) {
      // The calling thread cannot receive a message while it waits: the text goes through
      // the control buffer (first failure wins).
      if (Atomics.compareExchange(control, L.FAILED, 0, 1) === 0) {
        const text = new TextEncoder().encode(`worker ${index}: ${String(error)}`).slice(0, L.ERROR_BYTES);
        new Uint8Array(init.control, L.ERROR_AT, L.ERROR_BYTES).set(text);
        Atomics.store(control, L.ERROR_LENGTH, text.length);
      }
    }
    if (Atomics.sub(control, L.PENDING, 1) === 1) Atomics.notify(control, L.PENDING);
  }
}

/** The worker's source text, for Node's worker_threads (`eval: true`) or a browser Worker. */
export function workerSource(node: boolean): string {
  // `__name`: bundlers keeping function names (esbuild's keepNames, as tsx runs) insert calls
  // to a helper of theirs that the worker's scope would not have.
  const main = `var __name = (f) => f;\n(${threadMain.toString()})(init, post, ${runEntries.toString()});`;
  return node
    ? `"use strict";\nconst { parentPort } = require("node:worker_threads");\n` +
        `parentPort.once("message", (init) => {\nconst post = (m) => parentPort.postMessage(m);\n${main}\n});\n`
    : `"use strict";\nself.onmessage = (event) => {\nself.onmessage = null;\nconst init = event.data, post = (m) => self.postMessage(m);\n${main}\n};\n`;
}

/** The layout a worker is sent (protocol.ts's numbers, one source). */
export const LAYOUT: typeof protocol = { ...protocol };
