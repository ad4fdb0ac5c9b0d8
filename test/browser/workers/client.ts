// Starts a module worker, sends it one request and resolves with its answer.
import type { BackendOptions } from "../../../src/index.js";
import type { TestResult } from "../../helpers/collector.js";
import type { FixtureCase } from "../../helpers/fixtures.js";
import type { BodyList } from "./body-lists.js";
import type { StepResult } from "./run-fixture.js";

export interface WorkerAnswer {
  isWorker: boolean;
  moduleWorker: boolean;
  simdSupported: boolean;
  defaultKind: string;
  results: { name: string; kind: string; cases: StepResult[][] }[];
}

export interface BodiesAnswer {
  isWorker: boolean;
  moduleWorker: boolean;
  results: TestResult[];
}

/** Sends the worker one message; resolves with its answer (and ends the worker) or fails. */
export function askWorker<T>(worker: Worker, message: unknown, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.terminate();
      reject(new Error(`the worker did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    worker.onmessage = (event) => {
      clearTimeout(timer);
      worker.terminate();
      if (event.data.ok) resolve(event.data as T);
      else reject(new Error(`worker failed: ${event.data.error}`));
    };
    worker.onerror = (event) => {
      clearTimeout(timer);
      worker.terminate();
      reject(new Error(`worker error: ${event.message}`));
    };
    worker.postMessage(message);
  });
}

/** Fixture cases through the modules on each build (test/browser/workers/batchnorm.worker.ts). */
export function runInWorker(cases: FixtureCase[], builds: { name: string; options: BackendOptions }[]): Promise<WorkerAnswer> {
  const worker = new Worker(new URL("./batchnorm.worker.ts", import.meta.url), { type: "module" });
  return askWorker<WorkerAnswer>(worker, { cases, builds }, 30_000);
}

/** One list of shared bodies on one backend (test/browser/workers/bodies.worker.ts). */
export function runBodiesInWorker(list: BodyList, backend: string, timeoutMs: number): Promise<BodiesAnswer> {
  const worker = new Worker(new URL("./bodies.worker.ts", import.meta.url), { type: "module" });
  return askWorker<BodiesAnswer>(worker, { list, backend }, timeoutMs);
}
