// Every BatchNorm body (PyTorch fixtures, the keras / onnx conventions, bad input, gradients,
// tensors, the out options of every op, kernel paths) for one backend, in one place, so the Node suite
// (test/batchnorm.test.ts), the Chromium suite (test/browser/batchnorm.browser.test.ts) and
// the module-worker suite (test/browser/worker-bodies.browser.test.ts) always run the same list.
import type { BackendCase } from "../helpers/backends.js";
import { assertSimdAvailable } from "../helpers/backends.js";
import { fixtureSuite } from "./fixtures.js";
import { conventionSuite } from "./conventions.js";
import { badInputSuite } from "./bad-input.js";
import { gradcheckSuite } from "./gradcheck.js";
import { tensorSuite } from "./tensors.js";
import { kernelPathSuite } from "./kernel-paths.js";
import { outSuite } from "./out.js";

export function batchNormSuites(b: BackendCase): void {
  if (b.name === "simd") assertSimdAvailable();
  fixtureSuite(b.make);
  conventionSuite(b.make);
  badInputSuite(b.make);
  gradcheckSuite(b.make);
  tensorSuite(b.make);
  // The out options of every module and functional op (the whole family, not only batch norm).
  outSuite(b.make);
  // The reference is the yardstick of this body, so it only runs against the wasm builds.
  if (b.name !== "reference") kernelPathSuite(b.make);
}
