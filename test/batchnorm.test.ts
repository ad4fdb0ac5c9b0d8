// BatchNorm on every backend: the shared bodies run once per backend (SIMD, scalar, reference).
import { afterAll, describe } from "vitest";
import { BACKENDS, assertSimdAvailable } from "./helpers/backends.js";
import { worstErrors } from "./helpers/compare.js";
import { fixtureSuite } from "./bodies/fixtures.js";
import { badInputSuite } from "./bodies/bad-input.js";
import { gradcheckSuite } from "./bodies/gradcheck.js";
import { tensorSuite } from "./bodies/tensors.js";
import { kernelPathSuite } from "./bodies/kernel-paths.js";

describe.each(BACKENDS.map((b) => [b.name, b] as const))("%s backend", (name, b) => {
  if (name === "simd") assertSimdAvailable();
  fixtureSuite(b.make);
  badInputSuite(b.make);
  gradcheckSuite(b.make);
  tensorSuite(b.make);
  // The reference is the yardstick of this body, so it only runs against the wasm builds.
  if (name !== "reference") kernelPathSuite(b.make);
});

afterAll(() => {
  const rows = [...worstErrors].map(([q, e]) => `${q}: ${e.toExponential(2)}`).join(", ");
  if (rows) console.log(`worst relative error against PyTorch float64 (all backends): ${rows}`);
});
