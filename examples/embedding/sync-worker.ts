import { parentPort, workerData } from "node:worker_threads";
import { SyncBatchNorm } from "../../src/index.js";

// In each worker: its own module, the same API as BatchNorm2d, and its shard of the batch.
const { group } = workerData;
const bn = new SyncBatchNorm(16, { group });
const n = group.rank === 0 ? 3 : 5;                       // shards may differ in size
const x = Float32Array.from({ length: n * 16 * 64 }, () => Math.random() + group.rank);
const y = bn.forward(x, [n, 16, 8, 8]);                   // normalized with the statistics of all 8 samples
const { dx, dweight, dbias } = bn.backward(y);            // dweight and dbias of the whole batch, on every rank
parentPort!.postMessage({ rank: group.rank, samples: n, runningMean0: bn.runningMean![0], dweight0: dweight![0], dbias0: dbias![0], dx: dx.length });
