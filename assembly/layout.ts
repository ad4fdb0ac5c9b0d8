// How a kernel walks an (N, C, *spatial) tensor. Two shapes of memory cover every case:
// - planar: channels second with a spatial size S > 1; channel c owns N runs of S
//   contiguous floats, one run per sample, `planeStride` bytes apart;
// - interleaved: channels last, or no spatial dimensions at all; the tensor is R = N * S
//   rows of C floats and channel c is column c.

/** Elements per statistics chunk. A chunk is read twice (sum, then centered sums), so it must stay in L1. */
export const CHUNK: i32 = 2048;

/** True when the kernel should treat the tensor as rows of C channels. */
// @ts-ignore: decorator
@inline export function isInterleaved(S: i32, channelsLast: i32): bool {
  return channelsLast != 0 || S == 1;
}

/** Byte offset of channel c's first run in a planar tensor. */
// @ts-ignore: decorator
@inline export function planeBase(x: usize, C: i32, S: i32, c: i32): usize {
  return x + ((<usize>c * <usize>S) << 2);
}

/** Bytes between consecutive samples' runs of one channel in a planar tensor. */
// @ts-ignore: decorator
@inline export function planeStride(C: i32, S: i32): usize {
  return (<usize>C * <usize>S) << 2;
}
