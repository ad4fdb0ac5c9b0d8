// The Firefox page of the scalar fallback (test/browser/fallback-suite.ts): this page refuses
// the SIMD binary (no-simd-engine.ts, imported first), and the SIMD numbers come from the
// unpatched module worker test/browser/workers/batchnorm.worker.ts, bundled beside it.
import { rejected } from "../browser/no-simd-engine.js";
import { fallbackSuite } from "../browser/fallback-suite.js";
import { askWorker, type WorkerAnswer } from "../browser/workers/client.js";
import { collect, runTests } from "../helpers/collector.js";

const run = () =>
  runTests(collect(() => fallbackSuite(rejected, (cases, builds) =>
    askWorker<WorkerAnswer>(new Worker("./batchnorm.worker.js", { type: "module" }), { cases, builds }, 60_000))));

(window as unknown as { __fallback: typeof run }).__fallback = run;
