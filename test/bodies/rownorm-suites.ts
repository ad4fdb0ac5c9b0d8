// Every body of RMSNorm and the residual add + norm ops for one backend, in one place, so the
// Node suite (test/rownorm.test.ts), the Chromium suite (test/browser/rownorm.browser.test.ts)
// and the module-worker suite (test/browser/worker-bodies.browser.test.ts) run the same list.
import type { BackendCase } from "../helpers/backends.js";
import { assertSimdAvailable } from "../helpers/backends.js";
import { rowNormFixtureSuite } from "./rownorm-fixtures.js";
import { rowNormBadInputSuite } from "./rownorm-bad-input.js";
import { rowNormKernelSuite } from "./rownorm-kernels.js";

export function rowNormSuites(b: BackendCase): void {
  if (b.name === "simd") assertSimdAvailable();
  rowNormFixtureSuite(b.make);
  rowNormBadInputSuite(b.make);
  rowNormKernelSuite(b.make);
}
