// Every body of LayerNorm, GroupNorm and InstanceNorm for one backend, in one place, so the
// Node suite (test/layer-group-instance.test.ts), the Chromium suite
// (test/browser/layer-group-instance.browser.test.ts) and the module-worker suite
// (test/browser/worker-bodies.browser.test.ts) always run the same list.
import type { BackendCase } from "../helpers/backends.js";
import { assertSimdAvailable } from "../helpers/backends.js";
import { layerGroupInstanceFixtureSuite } from "./layer-group-instance-fixtures.js";
import { layerGroupInstanceBadInputSuite } from "./layer-group-instance-bad-input.js";
import { layerGroupInstanceKernelSuite } from "./layer-group-instance-kernels.js";
import { layerGroupInstanceTensorSuite } from "./layer-group-instance-tensors.js";

export function layerGroupInstanceSuites(b: BackendCase): void {
  if (b.name === "simd") assertSimdAvailable();
  layerGroupInstanceFixtureSuite(b.make);
  layerGroupInstanceBadInputSuite(b.make);
  layerGroupInstanceKernelSuite(b.make);
  layerGroupInstanceTensorSuite(b.make);
}
