// One network's training on a worker thread (see parallel.ts): progress every 10 steps,
// then the finished run.

import { parentPort, workerData } from "node:worker_threads";
import type { WorkerMessage, WorkerRequest } from "./parallel.js";
import { trainNetwork } from "./train.js";

const { data, options } = workerData as WorkerRequest;
const post = (m: WorkerMessage) => parentPort!.postMessage(m);
const run = trainNetwork(data, options, (step) => {
  if (step % 10 === 0 || step === options.steps) post({ kind: "step", step });
});
post({ kind: "done", run });
