// A module Web Worker that imports the package, runs fixture cases on the requested builds
// and posts the numbers back, with what it saw of its own environment.
import { createBackend, getDefaultBackend, simdSupported, type BackendOptions } from "../../../src/index.js";
import type { FixtureCase } from "../../helpers/fixtures.js";
import { runFixture } from "./run-fixture.js";
import { isModuleWorker, isWorkerScope } from "./scope.js";

export interface WorkerRequest {
  cases: FixtureCase[];
  builds: { name: string; options: BackendOptions }[];
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  try {
    const { cases, builds } = event.data;
    const results = builds.map(({ name, options }) => {
      const backend = createBackend(options);
      return { name, kind: backend.kind, cases: cases.map((c) => runFixture(c, backend)) };
    });
    postMessage({
      ok: true,
      isWorker: isWorkerScope(),
      moduleWorker: isModuleWorker(),
      simdSupported: simdSupported(),
      defaultKind: getDefaultBackend().kind,
      results,
    });
  } catch (error) {
    postMessage({ ok: false, error: String((error as Error)?.stack ?? error) });
  }
};
