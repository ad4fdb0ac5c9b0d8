// ONNX node cases through runOnnxNode on the SIMD and the scalar build: the outputs, as plain
// arrays (null where the op leaves one unproduced), and the ops the entry says it supports.
export function runOnnxCases(runOnnxNode, supportedOnnxOps, createBackend, cases) {
  const builds = {};
  for (const simd of [true, false]) {
    const backend = createBackend({ simd });
    builds[simd ? "simd" : "scalar"] = cases.map((c) => {
      const inputs = c.inputs.map((t) => t && { data: Float32Array.from(t.data), shape: t.shape });
      return runOnnxNode(c.node, inputs, { backend }).map((o) => o && { shape: o.shape, data: Array.from(o.data) });
    });
  }
  return { builds, ops: supportedOnnxOps().map((o) => o.opType) };
}
