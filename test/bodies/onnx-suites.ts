// Every body of batchnorm-wasm/onnx for one backend, in one place, so the Node suite
// (test/onnx.test.ts) and the Chromium suite (test/browser/onnx.browser.test.ts) run the same list.
import type { BackendCase } from "../helpers/backends.js";
import { assertSimdAvailable } from "../helpers/backends.js";
import { onnxFixtureSuite } from "./onnx-fixtures.js";
import { onnxBadInputSuite } from "./onnx-bad-input.js";

export function onnxSuites(b: BackendCase): void {
  if (b.name === "simd") assertSimdAvailable();
  onnxFixtureSuite(b.make);
  onnxBadInputSuite(b.make);
}
