// Data-parallel training with SyncBatchNorm on two worker threads (`npm run example:sync`):
// each global minibatch of 60 MNIST digits is split unevenly, 32 rows to rank 0 and 28 to
// rank 1. Each rank runs its own copy of the model; the batch norm's statistics and
// gradients are those of the whole minibatch (SyncBatchNorm), the linear layers' gradients
// are summed over the ranks (SyncChannel.allReduce), so both copies take the same steps.
// Then the same training on one thread with BatchNorm1d on the whole minibatches: the two
// runs must end with the same weights, up to float32 rounding.
//
// Options: --steps N (default 300), --lr X (0.3), --seed S (1).
import { Worker } from "node:worker_threads";
import { BatchNorm1d, createSyncGroup } from "../../src/index.js";
import { loadSplit } from "../mnist/data.js";
import { HIDDEN, Model, train, type TrainConfig } from "./model.js";
import type { RankJob, RankMessage } from "./worker.js";

function parseArgs(argv: string[]) {
  const config: TrainConfig = { steps: 300, lr: 0.3, seed: 1, shards: [32, 28] };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], Number(argv[i + 1])];
    if (flag === "--steps" && Number.isInteger(value) && value > 0) config.steps = value;
    else if (flag === "--lr" && value > 0) config.lr = value;
    else if (flag === "--seed" && Number.isInteger(value)) config.seed = value;
    else throw new Error(`unknown argument ${flag} ${argv[i + 1] ?? ""}\nusage: npm run example:sync -- [--steps N] [--lr X] [--seed S]`);
  }
  return config;
}

const config = parseArgs(process.argv.slice(2));
const data = loadSplit(config.seed);
console.log(`SyncBatchNorm on 2 worker threads: ${config.steps} steps of 60 digits (32 + 28 rows per step), lr ${config.lr}`);

const started = performance.now();
// maxChannels sizes the exchange slots: 40,000 lets allReduce carry the first layer's 78,400
// weight gradients in two exchanges (with 100, the batch norm's own size, it would take 392).
const group = createSyncGroup({ worldSize: 2, maxChannels: 40_000, timeoutMs: 60_000 });
const results = await Promise.all([0, 1].map((rank) => new Promise<Extract<RankMessage, { kind: "done" }>>((resolve, reject) => {
  const job: RankJob = { handle: group.handle(rank), data, config };
  const worker = new Worker(new URL("./worker-entry.mjs", import.meta.url), { workerData: job, execArgv: [] });
  group.watch(worker, rank);
  let done: Extract<RankMessage, { kind: "done" }> | null = null;
  worker.on("message", (m: RankMessage) => {
    if (m.kind === "loss") console.log(`  step ${String(m.step).padStart(5)}  loss ${m.loss.toFixed(4)}`);
    else done = m;
  });
  worker.on("error", reject);
  worker.on("exit", (code) => (done ? resolve(done) : reject(new Error(`rank ${rank} exited with code ${code} before finishing`))));
})));
const parallelMs = performance.now() - started;

const t0 = performance.now();
const serialBn = new BatchNorm1d(HIDDEN);
const serial = new Model(serialBn, config.seed);
train(serial, data.train, { ...config, shards: [60] }, 0, () => {}, () => {});
const serialMs = performance.now() - t0;
const serialAccuracy = serial.accuracy(data.test);
const serialParams = [serial.fc1.weight, serial.fc2.weight, serial.fc2.bias!, serialBn.weight!, serialBn.bias!, serialBn.runningMean!, serialBn.runningVar!];

const maxDiff = (a: Float32Array[], b: Float32Array[]) => {
  let worst = 0;
  a.forEach((p, k) => p.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[k][i])))));
  return worst;
};
const ranksAgree = maxDiff(results[0].params, results[1].params);
const vsSerial = maxDiff(results[0].params, serialParams);
console.log(`held-out accuracy (2,000 digits, eval mode): rank 0 ${(100 * results[0].accuracy).toFixed(1)}%, rank 1 ${(100 * results[1].accuracy).toFixed(1)}%, one thread ${(100 * serialAccuracy).toFixed(1)}%`);
console.log(`largest parameter difference: between the ranks ${ranksAgree.toExponential(2)}, ranks vs one thread ${vsSerial.toExponential(2)}`);
console.log(`time: 2 workers ${(parallelMs / 1000).toFixed(1)} s (with worker start-up), one thread ${(serialMs / 1000).toFixed(1)} s`);
if (ranksAgree !== 0 || !(vsSerial < 1e-3)) {
  console.log("FAILED: the data-parallel run did not train the same model as the one-thread run");
  process.exitCode = 1;
} else {
  console.log("OK: both ranks hold identical weights, equal to the one-thread run's up to float32 rounding");
}
