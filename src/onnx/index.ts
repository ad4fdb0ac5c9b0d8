// batchnorm-wasm/onnx: ONNX's normalization nodes on this package's kernels. runOnnxNode(node,
// inputs) runs one node (BatchNormalization, InstanceNormalization, LayerNormalization,
// GroupNormalization, RMSNormalization, MeanVarianceNormalization, LpNormalization, and ONNX
// Runtime's com.microsoft SkipLayerNormalization / SkipSimplifiedLayerNormalization) with the
// semantics of the op version the node's opset selects; see docs/onnx.md.

export { runOnnxNode } from "./run.js";
export { supportedOnnxOps } from "./registry.js";
export type { OnnxAttributeValue, OnnxNode, OnnxOpSupport, OnnxTensor, RunOnnxNodeOptions } from "./types.js";
