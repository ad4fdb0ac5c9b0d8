// The shared BatchNorm bodies in headless Chromium, once per backend (SIMD, scalar,
// reference): the same list test/batchnorm.test.ts runs in Node (test/bodies/batchnorm-suites.ts).
import { afterAll, describe, expect, it } from "vitest";
import { BACKENDS } from "../helpers/backends.js";
import { worstErrors } from "../helpers/compare.js";
import { batchNormSuites } from "../bodies/batchnorm-suites.js";

it("runs in a real browser page, not Node", () => {
  expect(typeof window).toBe("object");
  expect(typeof document.createElement).toBe("function");
  expect(navigator.userAgent).toMatch(/Chrome\//);
  expect((globalThis as { process?: unknown }).process).toBeUndefined();
});

describe.each(BACKENDS.map((b) => [b.name, b] as const))("%s backend", (_name, b) => batchNormSuites(b));

afterAll(() => {
  const rows = [...worstErrors].map(([q, e]) => `${q}: ${e.toExponential(2)}`).join(", ");
  if (rows) console.log(`Chromium: worst relative error against PyTorch float64 (onnx / keras: the convention fixtures; all backends): ${rows}`);
});
