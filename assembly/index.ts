// The kernels' exports: pointers (byte offsets into this module's memory), sizes and
// scalars in, nothing allocated. The TypeScript layer owns the memory above heapBase().

export { batchNormTrainForward, batchNormEvalForward, batchNormBackward } from "./batchnorm";
export { channelStats } from "./stats";
export { applyChannels } from "./apply";
export { backwardReduce, backwardElemtChannels } from "./backward";
export {
  forwardCoefficients, applyCoefficients, backwardCoefficients, frozenCoefficients, affineGrads,
  updateRunningStats, widenStats,
} from "./coefficients";

/** First byte the host may use: everything below belongs to static data and the stack. */
export function heapBase(): usize {
  return (__heap_base + 63) & ~63;
}

/** memory.copy of n bytes: the floor every benchmark is measured against. */
export function copyBytes(dst: usize, src: usize, n: usize): void {
  memory.copy(dst, src, n);
}
