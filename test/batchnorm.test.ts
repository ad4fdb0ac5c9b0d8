// BatchNorm (and its keras / onnx conventions) on every backend: the shared bodies run once
// per backend (SIMD, scalar, reference).
import { afterAll, describe } from "vitest";
import { BACKENDS } from "./helpers/backends.js";
import { worstErrors } from "./helpers/compare.js";
import { batchNormSuites } from "./bodies/batchnorm-suites.js";

describe.each(BACKENDS.map((b) => [b.name, b] as const))("%s backend", (_name, b) => batchNormSuites(b));

afterAll(() => {
  const rows = [...worstErrors].map(([q, e]) => `${q}: ${e.toExponential(2)}`).join(", ");
  if (rows) console.log(`worst relative error against PyTorch float64 (onnx / keras: the convention fixtures; all backends): ${rows}`);
});
