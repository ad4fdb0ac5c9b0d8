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
export { LayerNorm } from "./layernorm.js";
export type { LayerNormOptions } from "./layernorm.js";
export { GroupNorm } from "./groupnorm.js";
export type { GroupNormOptions } from "./groupnorm.js";
export { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, InstanceNormBase } from "./instancenorm.js";
export type { InstanceNormOptions } from "./instancenorm.js";
export type { NormStateDict } from "./norm-module.js";
export {
  layerNorm, layerNormBackward, groupNorm, groupNormBackward, instanceNorm, instanceNormBackward,
} from "./family-functional.js";
export type {
  FamilyResult, LayerNormFunctionalOptions, GroupNormFunctionalOptions, InstanceNormFunctionalOptions,
  FamilyBackwardOptions, InstanceNormBackwardOptions,
} from "./family-functional.js";
export type { GroupDims } from "./backend.js";
export * from "./reference-family.js";
export { CONVENTIONS } from "./conventions.js";
export type { Convention, ConventionRules } from "./conventions.js";
export {
  batchNormStats, batchNormGatherStats, batchNormElemt, batchNormBackwardReduce, batchNormBackwardElemt,
} from "./split.js";
export type {
  ShardStats, GlobalStats, SplitOptions, GatherStatsOptions, ElemtOptions, BackwardReduceOptions, BackwardReduceResult,
  BackwardElemtOptions,
} from "./split.js";
export { foldBatchNorm } from "./fold.js";
export type { FoldLayout, FoldOptions, FoldableBatchNorm } from "./fold.js";
export { SyncBatchNorm } from "./sync/sync-batchnorm.js";
export type { SyncBatchNormOptions } from "./sync/sync-batchnorm.js";
export { SyncGroup, createSyncGroup } from "./sync/group.js";
export type { SyncGroupHandle, SyncGroupOptions } from "./sync/group.js";
export { SyncChannel } from "./sync/channel.js";
