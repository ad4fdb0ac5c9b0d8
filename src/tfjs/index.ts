// batchnorm-wasm/tfjs: this package's kernels behind TensorFlow.js: tf.batchNorm's kernel
// (registerTfjsKernels), and tf.layers' batch and layer normalization in training
// (createTfjsLayers, layers.ts).
//
// TensorFlow.js runs tf.batchNorm as the kernel "FusedBatchNorm" of the active backend.
// registerTfjsKernels(tf) swaps that kernel, through tf's public kernel registry, for one
// that copies x out of TF.js, runs this package's inference-mode batch norm and hands the
// result back as a new TF.js tensor. TF.js is never imported here: the caller passes its
// own `tf`, so this entry works with @tensorflow/tfjs, @tensorflow/tfjs-core or
// @tensorflow/tfjs-node alike, and the root entry of the package stays free of TF.js.

export { registerTfjsKernels } from "./register.js";
export { createTfjsLayers } from "./layers.js";
export type {
  CreateTfjsLayersOptions, TfjsCoreLike, TfjsLayers, TfjsLayersLike, TfjsTensor,
} from "./types.js";
export type { RegisterTfjsOptions, TfjsKernelBackend, TfjsKernelConfig, TfjsLike, TfjsTensorInfo } from "./types.js";
