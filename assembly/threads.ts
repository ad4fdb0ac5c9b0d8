// The threads builds' exports: every kernel of index.ts, and what only the threaded backend
// calls (src/runtime/kernels.ts THREAD_KERNELS: batch norm's row-block phases, the row
// backwards by 32-row blocks, gradMerge, groupNormParamGrads; and setUnits, each thread's
// unit range; and the block geometry the plans cut by). The one-thread builds leave these
// out, so they carry none of their code.

import { blockRows, slotBytes } from "./layout";
import { FLUSH_ROWS } from "./blocksums";

export * from "./index";
export { layerNormBackwardBlocks } from "./layernorm";
export { groupNormParamGrads } from "./groupnorm";
export { rowNormBackwardBlocks } from "./rownorm";
export { gradMerge } from "./blocksums";
export {
  batchNormStatsBlocks, batchNormStatsMerge, batchNormApplyBlocks, batchNormReduceBlocks, batchNormReduceMerge, batchNormElemtBlocks,
} from "./rowblocks";
export { setUnits } from "./units";

// The block geometry, read by src/runtime/threads/plans.ts (PlanContext.geometry) from these
// exports, so that the plans cut where the kernels' blocks end (one source for both sides).

/** Rows per statistics block of an interleaved batch norm of C channels (layout.ts blockRows). */
export function statsBlockRows(C: i32): i32 {
  return blockRows(C);
}

/** Bytes of a statistics block's slot (layout.ts slotBytes). */
export function statsSlotBytes(C: i32): i32 {
  return <i32>slotBytes(C);
}

/** Rows per f32 block of the row backwards' parameter gradients (blocksums.ts FLUSH_ROWS). */
export function gradBlockRows(): i32 {
  return FLUSH_ROWS;
}
