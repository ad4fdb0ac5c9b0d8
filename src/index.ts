// batchnorm-wasm: batch normalization as WebAssembly kernels, exact to PyTorch.

export { BatchNorm1d, BatchNorm2d, BatchNorm3d, BatchNormBase } from "./batchnorm.js";
export type { Activation, BatchNormOptions, BatchNormStateDict, Gradients } from "./batchnorm.js";
export { batchNorm, batchNormBackward, batchNormRelu, batchNormReluBackward } from "./functional.js";
export type {
  BatchNormFunctionalOptions, BatchNormBackwardOptions, BatchNormReluBackwardOptions, BatchNormResult,
} from "./functional.js";
export { tensor, Tensor } from "./tensor.js";
export type { TensorOptions } from "./tensor.js";
export { createBackend, simdSupported } from "./wasm-backend.js";
export type { BackendOptions, WasmBuild } from "./wasm-backend.js";
export { createReferenceBackend } from "./reference-backend.js";
export { getDefaultBackend, setDefaultBackend } from "./default-backend.js";
export type { Backend, BackendKind, Layout, Dims } from "./backend.js";
export type { MemoryStats } from "./memory.js";
export * from "./reference.js";
