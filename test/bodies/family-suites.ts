// Every body of the normalization family (LayerNorm, GroupNorm, InstanceNorm) and of the
// batch-norm conventions for one backend, in one place, so the Node suite
// (test/family.test.ts) and the Chromium suite (test/browser/family.browser.test.ts) always
// run the same list.
import type { BackendCase } from "../helpers/backends.js";
import { assertSimdAvailable } from "../helpers/backends.js";
import { familyFixtureSuite } from "./family-fixtures.js";
import { conventionSuite } from "./conventions.js";
import { familyBadInputSuite } from "./family-bad-input.js";
import { familyKernelSuite } from "./family-kernels.js";
import { familyTensorSuite } from "./family-tensors.js";

export function familySuites(b: BackendCase): void {
  if (b.name === "simd") assertSimdAvailable();
  familyFixtureSuite(b.make);
  conventionSuite(b.make);
  familyBadInputSuite(b.make);
  familyKernelSuite(b.make);
  familyTensorSuite(b.make);
}
