// The shared BatchNorm bodies in headless Chromium, once per backend (SIMD, scalar,
// reference): the same files test/batchnorm.test.ts runs in Node.
import { afterAll, describe, expect, it } from "vitest";
import { BACKENDS, assertSimdAvailable } from "../helpers/backends.js";
import { worstErrors } from "../helpers/compare.js";
import { fixtureSuite } from "../bodies/fixtures.js";
import { badInputSuite } from "../bodies/bad-input.js";
import { gradcheckSuite } from "../bodies/gradcheck.js";
import { tensorSuite } from "../bodies/tensors.js";

it("runs in a real browser page, not Node", () => {
  expect(typeof window).toBe("object");
  expect(typeof document.createElement).toBe("function");
  expect(navigator.userAgent).toMatch(/Chrome\//);
  expect((globalThis as { process?: unknown }).process).toBeUndefined();
});

describe.each(BACKENDS.map((b) => [b.name, b] as const))("%s backend", (name, b) => {
  if (name === "simd") assertSimdAvailable();
  fixtureSuite(b.make);
  badInputSuite(b.make);
  gradcheckSuite(b.make);
  tensorSuite(b.make);
});

afterAll(() => {
  const rows = [...worstErrors].map(([q, e]) => `${q}: ${e.toExponential(2)}`).join(", ");
  if (rows) console.log(`Chromium: worst relative error against PyTorch float64 (all backends): ${rows}`);
});
