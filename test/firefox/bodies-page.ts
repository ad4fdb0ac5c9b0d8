// The Firefox page of the shared bodies (bundled by test/firefox/bundle.ts): runs one list
// of test/bodies/ on one backend, on this page's main thread or in the module worker
// test/browser/workers/bodies.worker.ts (bundled beside it), with test/helpers/collector.ts,
// and hands every test's outcome and digest to the Node side (test/firefox.e2e.test.ts).
import { simdSupported } from "../../src/index.js";
import { BACKENDS } from "../helpers/backends.js";
import { collect, runTests, type TestResult } from "../helpers/collector.js";
import { BODY_LISTS, type BodyList } from "../browser/workers/body-lists.js";
import { askWorker, type BodiesAnswer } from "../browser/workers/client.js";

export interface BodiesPage {
  engine(): { userAgent: string; simdSupported: boolean };
  onMainThread(list: BodyList, backend: string): Promise<TestResult[]>;
  inModuleWorker(list: BodyList, backend: string, timeoutMs: number): Promise<BodiesAnswer>;
}

const page: BodiesPage = {
  engine: () => ({ userAgent: navigator.userAgent, simdSupported: simdSupported() }),
  onMainThread(list, backend) {
    const b = BACKENDS.find((x) => x.name === backend);
    if (!b) throw new Error(`no backend named ${backend}`);
    return runTests(collect(() => BODY_LISTS[list](b)));
  },
  inModuleWorker: (list, backend, timeoutMs) =>
    askWorker<BodiesAnswer>(new Worker("./bodies.worker.js", { type: "module" }), { list, backend }, timeoutMs),
};

(window as unknown as { __bodies: BodiesPage }).__bodies = page;
