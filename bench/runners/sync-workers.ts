// SyncBatchNorm on worker threads: the workload's batch split along N over `ranks` workers
// (each its own SIMD backend), Float32Arrays in and out as the simd-array row. The main
// thread drives the workers synchronously through a SharedArrayBuffer (a call is: bump
// SEQ, wait until DONE counts every rank), so a timed call is one op of every rank, the
// exchanges between them included. Compare with simd-array: one BatchNorm on the whole batch.
import { Worker } from "node:worker_threads";
import { createSyncGroup } from "../../src/modules/sync/group.js";
import type { OpName, Outputs, Prepared, Workload } from "../case.js";
import type { Inputs } from "../data.js";
import { CMD, DONE, SEQ, type SyncBenchJob } from "./sync-protocol.js";

/** Samples of each rank: N split as evenly as it goes. */
export function shardSizes(N: number, ranks: number): number[] {
  return Array.from({ length: ranks }, (_, r) => Math.floor(N / ranks) + (r < N % ranks ? 1 : 0));
}

export async function prepareSyncWorkers(ranks: number, w: Workload, inputs: Inputs, op: OpName): Promise<Prepared> {
  if (op === "infer") throw new Error("sync rows: inference exchanges nothing (it is BatchNorm's eval forward)");
  const n = w.elements;
  const shared = (length: number) => new Float32Array(new SharedArrayBuffer(length * 4));
  const x = shared(n), dy = shared(n), y = shared(n), dx = shared(n);
  x.set(inputs.x);
  dy.set(inputs.dy);
  const C = inputs.weight.length;
  const dweight = shared(C), dbias = shared(C);
  const control = new Int32Array(new SharedArrayBuffer(16));
  const group = createSyncGroup({ worldSize: ranks, maxChannels: C, timeoutMs: 120_000 });
  const sizes = shardSizes(w.shape[0], ranks);
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  let start = 0;
  for (let rank = 0; rank < ranks; rank++) {
    const job: SyncBenchJob = {
      handle: group.handle(rank), workload: w, op, start, count: sizes[rank],
      params: { weight: inputs.weight, bias: inputs.bias, runningMean: inputs.runningMean, runningVar: inputs.runningVar, eps: inputs.eps },
      buffers: { x, dy, y, dx, dweight, dbias, control },
    };
    start += sizes[rank];
    const worker = new Worker(new URL("./sync-worker-entry.mjs", import.meta.url), { workerData: job, execArgv: [] });
    group.watch(worker, rank);
    ready.push(new Promise((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
    }));
    workers.push(worker);
  }
  await Promise.all(ready);

  const call = (cmd: number) => {
    Atomics.store(control, DONE, 0);
    Atomics.store(control, CMD, cmd);
    Atomics.add(control, SEQ, 1);
    Atomics.notify(control, SEQ);
    for (let done = 0; (done = Atomics.load(control, DONE)) < ranks;) {
      if (group.brokenReason !== null) throw new Error(`sync rows: ${group.brokenReason}`);
      Atomics.wait(control, DONE, done, 1000);
    }
  };
  return {
    run: () => call(1),
    outputs: (): Outputs => {
      call(1);
      if (op === "train") return { y: y.slice() };
      return { y: y.slice(), dx: dx.slice(), dweight: dweight.slice(), dbias: dbias.slice() };
    },
    dispose: () => {
      try {
        call(2);
      } finally {
        for (const worker of workers) void worker.terminate();
      }
    },
  };
}
