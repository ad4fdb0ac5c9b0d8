// batchnorm-wasm: batch normalization (and layer, group, instance norm) as WebAssembly
// kernels, exact to PyTorch. The layers, bottom up: runtime/ (kernels, memory, tensors,
// backends), reference/ (the pure-JS reference, also a backend), ops/ (staging and the
// ops every entry point shares), modules/ and functional/ (the public API). See
// docs/architecture.md.

export { BatchNorm1d, BatchNorm2d, BatchNorm3d, BatchNormBase } from "./modules/batchnorm.js";
export type { Activation, BatchNormOptions, BatchNormStateDict } from "./modules/batchnorm.js";
export { LayerNorm } from "./modules/layernorm.js";
export type { LayerNormOptions } from "./modules/layernorm.js";
export { GroupNorm } from "./modules/groupnorm.js";
export type { GroupNormOptions } from "./modules/groupnorm.js";
export { RMSNorm } from "./modules/rmsnorm.js";
export type { RMSNormOptions } from "./modules/rmsnorm.js";
export { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, InstanceNormBase } from "./modules/instancenorm.js";
export type { InstanceNormOptions } from "./modules/instancenorm.js";
export type { NormStateDict } from "./modules/module.js";
export { SyncBatchNorm } from "./modules/sync/sync-batchnorm.js";
export type { SyncBatchNormOptions } from "./modules/sync/sync-batchnorm.js";
export { SyncGroup, createSyncGroup } from "./modules/sync/group.js";
export type { SyncGroupHandle, SyncGroupOptions } from "./modules/sync/group.js";
export { SyncChannel } from "./modules/sync/channel.js";

export { batchNorm, batchNormBackward, batchNormRelu, batchNormReluBackward } from "./functional/batchnorm.js";
export type {
  BatchNormFunctionalOptions, BatchNormBackwardOptions, BatchNormReluBackwardOptions, BatchNormResult,
} from "./functional/batchnorm.js";
export {
  layerNorm, layerNormBackward, groupNorm, groupNormBackward, instanceNorm, instanceNormBackward,
} from "./functional/norms.js";
export type {
  NormResult, LayerNormFunctionalOptions, GroupNormFunctionalOptions, InstanceNormFunctionalOptions,
  NormBackwardOptions, GroupNormBackwardOptions, InstanceNormBackwardOptions,
} from "./functional/norms.js";
export {
  rmsNorm, rmsNormBackward, addLayerNorm, addLayerNormBackward, addRmsNorm, addRmsNormBackward,
} from "./functional/rownorm.js";
export type {
  RmsNormResult, RmsNormFunctionalOptions, RmsNormBackwardOptions, RmsNormGradients, AddLayerNormOptions, AddRmsNormOptions,
  AddLayerNormResult, AddRmsNormResult, AddLayerNormBackwardOptions, AddRmsNormBackwardOptions, AddLayerNormGradients,
  AddRmsNormGradients,
} from "./functional/rownorm.js";
export {
  batchNormStats, batchNormGatherStats, batchNormElemt, batchNormBackwardReduce, batchNormBackwardElemt,
} from "./functional/split.js";
export type {
  ShardStats, GlobalStats, SplitOptions, GatherStatsOptions, ElemtOptions, BackwardReduceOptions, BackwardReduceResult,
  BackwardElemtOptions,
} from "./functional/split.js";
export { foldBatchNorm } from "./functional/fold.js";
export type { FoldLayout, FoldOptions, FoldableBatchNorm } from "./functional/fold.js";
export { CONVENTIONS } from "./ops/running.js";
export type { Convention, ConventionRules } from "./ops/running.js";

export { tensor, Tensor } from "./runtime/tensor.js";
export type { Gradients, TensorOptions } from "./runtime/tensor.js";
export { createBackend, simdSupported } from "./runtime/wasm-backend.js";
export type { BackendOptions, WasmBuild } from "./runtime/wasm-backend.js";
export { getDefaultBackend, setDefaultBackend } from "./runtime/default-backend.js";
export type { Backend, BackendKind, Layout, Dims, GroupDims } from "./runtime/backend.js";
export type { MemoryStats } from "./runtime/memory.js";
export { createReferenceBackend } from "./reference/backend.js";
export * from "./reference/batchnorm.js";
export * from "./reference/norms.js";
export { createThreadedBackend } from "./runtime/threads/threaded-backend.js";
export type { ThreadedBackend, ThreadedBackendOptions, ThreadInfo } from "./runtime/threads/threaded-backend.js";
