// One rank in a browser Web Worker: receives its handle and shard, runs a training forward
// and backward with SyncBatchNorm, posts the results (or its error); or throws, as told.
import { SyncBatchNorm, createBackend, type SyncGroupHandle } from "../../src/index.js";

interface Job {
  handle: SyncGroupHandle;
  x: Float32Array;
  dy: Float32Array;
  shape: number[];
  throwAtStart: boolean;
}

self.onmessage = (event: MessageEvent<Job>) => {
  const job = event.data;
  if (job.throwAtStart) throw new Error(`rank ${job.handle.rank} fails on purpose`);
  try {
    const bn = new SyncBatchNorm(job.shape[1], { group: job.handle, backend: createBackend() });
    const y = bn.forward(job.x, job.shape);
    const { dx, dweight, dbias } = bn.backward(job.dy);
    postMessage({ ok: true, y, dx, dweight, dbias, runningMean: bn.runningMean, runningVar: bn.runningVar });
  } catch (error) {
    postMessage({ ok: false, error: (error as Error).message });
  }
};
