// The threads builds' exports: every kernel of index.ts, and what only the threaded backend
// calls (src/runtime/kernels.ts THREAD_KERNELS: batch norm's row-block phases, the row
// backwards by 32-row blocks, gradMerge, groupNormParamGrads; and setUnits, each thread's
// unit range). The one-thread builds leave these out, so they carry none of their code.

export * from "./index";
export { layerNormBackwardBlocks } from "./layernorm";
export { groupNormParamGrads } from "./groupnorm";
export { rowNormBackwardBlocks } from "./rownorm";
export { gradMerge } from "./blocksums";
export {
  batchNormStatsBlocks, batchNormStatsMerge, batchNormApplyBlocks, batchNormReduceBlocks, batchNormReduceMerge, batchNormElemtBlocks,
} from "./rowblocks";
export { setUnits } from "./units";
