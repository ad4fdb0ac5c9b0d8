// The shared bodies of RMSNorm and the residual add + norm ops in headless Chromium, once per
// backend: the same list test/rownorm.test.ts runs in Node.
import { afterAll, describe } from "vitest";
import { BACKENDS } from "../helpers/backends.js";
import { worstErrors } from "../helpers/compare.js";
import { rowNormSuites } from "../bodies/rownorm-suites.js";

describe.each(BACKENDS.map((b) => [b.name, b] as const))("%s backend", (_name, b) => rowNormSuites(b));

afterAll(() => {
  const rows = [...worstErrors].sort(([a], [b]) => a.localeCompare(b)).map(([q, e]) => `${q}: ${e.toExponential(2)}`);
  if (rows.length) console.log(`Chromium: worst relative error against the reference values (all backends): ${rows.join(", ")}`);
});
