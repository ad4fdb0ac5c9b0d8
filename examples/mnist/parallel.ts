// Runs the two networks of runExperiment() on two worker threads: the machine this targets
// has two cores, and the two trainings are independent (same seed, same batch order, so
// the numbers are exactly those of the one-thread run).

import { Worker } from "node:worker_threads";
import type { Digits } from "./data.js";
import { combine, configOf, type NetworkRun, type RunResult, type TrainOptions } from "./train.js";

export interface WorkerRequest {
  data: { train: Digits; test: Digits };
  options: Omit<TrainOptions, "backend"> & { batchNorm: boolean };
}

export type WorkerMessage = { kind: "step"; step: number } | { kind: "done"; run: NetworkRun };

function trainOnWorker(request: WorkerRequest, onStep: (step: number) => void): Promise<NetworkRun> {
  return new Promise((resolve, reject) => {
    // A plain-JS entry that registers tsx's loader, then imports the TypeScript worker.
    const worker = new Worker(new URL("./worker-entry.mjs", import.meta.url), { workerData: request, execArgv: [] });
    let run: NetworkRun | null = null;
    worker.on("message", (m: WorkerMessage) => {
      if (m.kind === "step") onStep(m.step);
      else run = m.run;
    });
    worker.on("error", reject);
    worker.on("exit", (code) => {
      if (run !== null) resolve(run);
      else reject(new Error(`the ${request.options.batchNorm ? "batch-norm" : "plain"} network's worker exited with code ${code} before finishing`));
    });
  });
}

/** runExperiment() with one thread per network. onProgress gets the fraction done in [0, 1]. */
export async function runExperimentParallel(data: { train: Digits; test: Digits }, options: Omit<TrainOptions, "backend">, onProgress?: (fraction: number) => void): Promise<RunResult> {
  const config = configOf(options);
  const done = { plain: 0, bn: 0 };
  const report = () => onProgress?.((done.plain + done.bn) / (2 * config.steps));
  const [plain, bn] = await Promise.all(([false, true] as const).map((batchNorm) =>
    trainOnWorker({ data, options: { ...options, batchNorm } }, (s) => {
      done[batchNorm ? "bn" : "plain"] = s;
      report();
    })));
  return combine(plain, bn, config, data);
}
