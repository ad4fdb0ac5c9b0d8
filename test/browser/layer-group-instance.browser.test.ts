// The shared bodies of LayerNorm, GroupNorm and InstanceNorm in headless Chromium, once per
// backend: the same list test/layer-group-instance.test.ts runs in Node.
import { afterAll, describe } from "vitest";
import { BACKENDS } from "../helpers/backends.js";
import { worstErrors } from "../helpers/compare.js";
import { layerGroupInstanceSuites } from "../bodies/layer-group-instance-suites.js";

describe.each(BACKENDS.map((b) => [b.name, b] as const))("%s backend", (_name, b) => layerGroupInstanceSuites(b));

afterAll(() => {
  const rows = [...worstErrors].sort(([a], [b]) => a.localeCompare(b)).map(([q, e]) => `${q}: ${e.toExponential(2)}`);
  if (rows.length) console.log(`Chromium: worst relative error against the reference values (all backends): ${rows.join(", ")}`);
});
