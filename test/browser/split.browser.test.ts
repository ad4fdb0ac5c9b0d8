// The split primitives of data-parallel batch norm in headless Chromium, once per backend
// (SIMD, scalar, reference): the body test/split.test.ts runs in Node.
import { describe } from "vitest";
import { BACKENDS } from "../helpers/backends.js";
import { splitSuite } from "../bodies/split.js";

describe.each(BACKENDS.map((b) => [b.name, b] as const))("%s backend", (_name, b) => {
  splitSuite(b.make);
});
