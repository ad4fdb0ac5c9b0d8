// The kernels' exports, one per entry of src/runtime/kernels.ts KERNELS, and the threaded
// backend's own (THREAD_KERNELS: batch norm's row-block phases, the *Blocks backwards,
// gradMerge, groupNormParamGrads; test/kernel-abi.test.ts checks names and arities): tensor pointers (byte offsets into this module's memory),
// dims, a flags word, scalars and one argument block (block.ts). Nothing is allocated;
// the TypeScript layer owns the memory above heapBase().

export { batchNormTrainForward, batchNormEvalForward, batchNormBackward } from "./batchnorm";
export { channelStats, applyStats, backwardReduce, backwardElemt } from "./split";
export { layerNormForward, layerNormBackward, layerNormBackwardBlocks } from "./layernorm";
export { groupNormForward, groupNormBackward, groupNormParamGrads } from "./groupnorm";
export { rowNormForward, rowNormBackward, rowNormBackwardBlocks } from "./rownorm";
export { gradMerge } from "./blocksums";
export {
  batchNormStatsBlocks, batchNormStatsMerge, batchNormApplyBlocks, batchNormReduceBlocks, batchNormReduceMerge, batchNormElemtBlocks,
} from "./rowblocks";
export { blockBytes } from "./block";
export { setUnits } from "./units";

/** First byte the host may use: everything below belongs to static data and the stack. */
export function heapBase(): usize {
  return (__heap_base + 63) & ~63;
}
