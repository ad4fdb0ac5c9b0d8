// The shared bodies of batchnorm-wasm/onnx in headless Chromium, once per backend: the same list
// test/onnx.test.ts runs in Node.
import { afterAll, describe } from "vitest";
import { BACKENDS } from "../helpers/backends.js";
import { worstErrors } from "../helpers/compare.js";
import { onnxSuites } from "../bodies/onnx-suites.js";

describe.each(BACKENDS.map((b) => [b.name, b] as const))("%s backend", (_name, b) => onnxSuites(b));

afterAll(() => {
  const rows = [...worstErrors].sort(([a], [b]) => a.localeCompare(b)).map(([q, e]) => `${q}: ${e.toExponential(2)}`);
  if (rows.length) console.log(`Chromium: worst relative error against the ONNX cases (all backends): ${rows.join(", ")}`);
});
