// The scalar fallback in Chromium (test/browser/fallback-suite.ts): this file's page refuses
// the SIMD binary (test/browser/no-simd-engine.ts, imported first; each browser test file
// runs in its own iframe, so the patch stays here).
import { rejected } from "./no-simd-engine.js";
import { fallbackSuite } from "./fallback-suite.js";
import { runInWorker } from "./workers/client.js";

fallbackSuite(rejected, runInWorker);
