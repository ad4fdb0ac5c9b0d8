// Determinism: the same inputs give bit-identical results, call after call, on a fresh
// instance of the same build (createBackend again, with its buffers at other addresses), and
// through plain arrays or tensors. (The SIMD and the scalar build sum in different orders:
// each is deterministic, and they agree within the property suites' tolerances, not bit for bit.)
import { describe, expect, it } from "vitest";
import { createBackend, createReferenceBackend, tensor, type Backend } from "../../src/index.js";
import { scenario } from "./kinds.js";

const BUILDS: Array<[string, () => Backend]> = [
  ["simd", () => createBackend({ simd: true })],
  ["scalar", () => createBackend({ simd: false })],
  ["reference", () => createReferenceBackend()],
];

/** The bytes of every output, for an exact comparison (NaN payloads and signed zeros included). */
function bytes(outputs: Array<Float32Array | Float64Array>): Uint8Array[] {
  return outputs.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice());
}

function expectIdentical(got: Uint8Array[], want: Uint8Array[], label: string) {
  expect(got.length, label).toBe(want.length);
  got.forEach((g, i) => {
    expect(Buffer.compare(Buffer.from(g), Buffer.from(want[i])), `${label}: output ${i} differs`).toBe(0);
  });
}

describe.each(BUILDS)("%s", (_name, make) => {
  it("every module kind and functional op: bit-identical across repeated runs, fresh instances and arrays vs tensors", () => {
    const backend = make();
    const first = bytes(scenario(backend, false));
    expect(first.length).toBeGreaterThan(100);
    expectIdentical(bytes(scenario(backend, false)), first, "the same backend again");
    // A fresh instance whose buffers sit at other addresses (a few blocks taken first).
    const fresh = make();
    const padding = [tensor([3], undefined, { backend: fresh }), tensor([1000], undefined, { backend: fresh })];
    expectIdentical(bytes(scenario(fresh, false)), first, "a fresh instance");
    expectIdentical(bytes(scenario(fresh, true)), first, "tensors instead of arrays");
    padding.forEach((t) => t.dispose());
  });
});
