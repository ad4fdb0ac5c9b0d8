// Starts the module worker, sends it one request and resolves with its answer.
import type { BackendOptions } from "../../../src/index.js";
import type { FixtureCase } from "../../helpers/fixtures.js";
import type { StepResult } from "./run-fixture.js";

export interface WorkerAnswer {
  isWorker: boolean;
  moduleWorker: boolean;
  simdSupported: boolean;
  defaultKind: string;
  results: { name: string; kind: string; cases: StepResult[][] }[];
}

export function runInWorker(cases: FixtureCase[], builds: { name: string; options: BackendOptions }[]): Promise<WorkerAnswer> {
  const worker = new Worker(new URL("./batchnorm.worker.ts", import.meta.url), { type: "module" });
  return new Promise<WorkerAnswer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the worker did not answer within 30 s")), 30_000);
    worker.onmessage = (event) => {
      clearTimeout(timer);
      worker.terminate();
      if (event.data.ok) resolve(event.data as WorkerAnswer);
      else reject(new Error(`worker failed: ${event.data.error}`));
    };
    worker.onerror = (event) => {
      clearTimeout(timer);
      worker.terminate();
      reject(new Error(`worker error: ${event.message}`));
    };
    worker.postMessage({ cases, builds });
  });
}
