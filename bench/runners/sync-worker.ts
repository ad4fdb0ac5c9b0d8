// One rank of the sync rows: waits for a call, runs its op on its shard, reports done.
import { parentPort, workerData } from "node:worker_threads";
import { SyncBatchNorm } from "../../src/modules/sync/sync-batchnorm.js";
import { createBackend } from "../../src/runtime/wasm-backend.js";
import { CMD, DONE, SEQ, type SyncBenchJob } from "./sync-protocol.js";

const job = workerData as SyncBenchJob;
const { workload: w, params: inputs, buffers: b } = job;
const per = w.elements / w.shape[0];
const shape = [job.count, ...w.shape.slice(1)];
const bn = new SyncBatchNorm(inputs.weight.length, { group: job.handle, layout: w.layout, eps: inputs.eps, backend: createBackend({ simd: true }) });
bn.weight!.set(inputs.weight);
bn.bias!.set(inputs.bias);
bn.runningMean!.set(inputs.runningMean);
bn.runningVar!.set(inputs.runningVar);
const from = job.start * per, to = from + job.count * per;
const x = b.x.subarray(from, to), dy = b.dy.subarray(from, to);

// Read the call counter before saying ready: a call made right after would otherwise be missed.
let seen = Atomics.load(b.control, SEQ);
parentPort!.postMessage("ready");
for (;;) {
  Atomics.wait(b.control, SEQ, seen);
  seen = Atomics.load(b.control, SEQ);
  if (Atomics.load(b.control, CMD) === 2) {
    Atomics.add(b.control, DONE, 1);
    Atomics.notify(b.control, DONE);
    break;
  }
  b.y.set(bn.forward(x, shape), from);
  if (job.op === "trainBackward") {
    const g = bn.backward(dy);
    b.dx.set(g.dx, from);
    if (job.handle.rank === 0) {
      b.dweight.set(g.dweight!);
      b.dbias.set(g.dbias!);
    }
  }
  Atomics.add(b.control, DONE, 1);
  Atomics.notify(b.control, DONE);
}
bn.dispose();
