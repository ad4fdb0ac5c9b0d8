// The one-thread builds' exports, one per entry of src/runtime/kernels.ts KERNELS
// (test/kernel-abi.test.ts checks names and arities): tensor pointers (byte offsets into this
// module's memory), dims, a flags word, scalars and one argument block (block.ts). Nothing is
// allocated; the TypeScript layer owns the memory above heapBase(). The threads builds
// compile threads.ts, which adds the threaded backend's own kernels.

export { batchNormTrainForward, batchNormEvalForward, batchNormBackward } from "./batchnorm";
export { channelStats, applyStats, backwardReduce, backwardElemt } from "./split";
export { layerNormForward, layerNormBackward } from "./layernorm";
export { groupNormForward, groupNormBackward } from "./groupnorm";
export { rowNormForward, rowNormBackward } from "./rownorm";
export { blockBytes } from "./block";

/** First byte the host may use: everything below belongs to static data and the stack. */
export function heapBase(): usize {
  return (__heap_base + 63) & ~63;
}
