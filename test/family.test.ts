// LayerNorm, GroupNorm, InstanceNorm and the batch-norm conventions on every backend: the
// shared bodies run once per backend (SIMD, scalar, reference).
import { afterAll, describe } from "vitest";
import { BACKENDS, assertSimdAvailable } from "./helpers/backends.js";
import { worstErrors } from "./helpers/compare.js";
import { familyFixtureSuite } from "./bodies/family-fixtures.js";
import { conventionSuite } from "./bodies/conventions.js";
import { familyBadInputSuite } from "./bodies/family-bad-input.js";
import { familyKernelSuite } from "./bodies/family-kernels.js";
import { familyTensorSuite } from "./bodies/family-tensors.js";

describe.each(BACKENDS.map((b) => [b.name, b] as const))("%s backend", (name, b) => {
  if (name === "simd") assertSimdAvailable();
  familyFixtureSuite(b.make);
  conventionSuite(b.make);
  familyBadInputSuite(b.make);
  familyKernelSuite(b.make);
  familyTensorSuite(b.make);
});

afterAll(() => {
  const rows = [...worstErrors].sort(([a], [b]) => a.localeCompare(b)).map(([q, e]) => `  ${q}: ${e.toExponential(2)}`);
  if (rows.length) console.log(`worst relative error against the reference values (all backends):\n${rows.join("\n")}`);
});
