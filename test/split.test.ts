// The split primitives of data-parallel batch norm on every backend (SIMD, scalar, reference).
import { describe } from "vitest";
import { BACKENDS } from "./helpers/backends.js";
import { splitSuite } from "./bodies/split.js";

describe.each(BACKENDS.map((b) => [b.name, b] as const))("%s backend", (_name, b) => {
  splitSuite(b.make);
});
