// How a kernel walks an (N, C, *spatial) tensor. Two shapes of memory cover every case:
// - planar: channels second with a spatial size S > 1; channel c owns N runs of S
//   contiguous floats, one run per sample, `planeStride` bytes apart;
// - interleaved: channels last, or no spatial dimensions at all; the tensor is R = N * S
//   rows of C floats and channel c is column c.
//
// A planar channel is reduced in chunks of at most CHUNK floats: partial sums stay short
// enough for f32 lanes, and the first chunk (read twice for an exact shift) stays in L1.
// Every channel of a tensor has the same chunk geometry, so a kernel can walk channel c
// and channel c + 1 in lockstep by adding the distance between their first runs.

/** Elements per statistics chunk of one channel. */
export const CHUNK: i32 = 2048;

/** Rows per chunk of an interleaved tensor: the length of each channel's f32 partial sums. */
export const ROW_CHUNK: i32 = 128;

/**
 * Statistics blocks of an interleaved tensor: the rows are cut into blocks of blockRows(C)
 * rows (whole ROW_CHUNKs, about BLOCK_BYTES of x, at least MIN_BLOCK_CHUNKS chunks), a
 * grid that depends on the tensor alone. Each block is reduced on its own (stats.ts
 * blockStats, backward.ts blockReduce) into a slot of slotBytes(C), and the slots are merged
 * in block order in f64, so the threaded backend, which gives each thread whole blocks and
 * merges the slots afterwards, has the one-thread bits. Big enough that a block's first
 * rows, read twice for its own first centers (FIRST_ROWS), cost a few percent; small
 * enough that two to four threads get even shares of the rows of a large tensor.
 */
const BLOCK_BYTES: i32 = 512 << 10;
const MIN_BLOCK_CHUNKS: i32 = 8;

/** Rows per statistics block of an interleaved tensor of C channels. */
export function blockRows(C: i32): i32 {
  return ROW_CHUNK * max(MIN_BLOCK_CHUNKS, BLOCK_BYTES / (ROW_CHUNK << 2) / C);
}

/** Statistics blocks of R rows of C channels. */
export function rowBlocks(R: i32, C: i32): i32 {
  const rows = blockRows(C);
  return (R + rows - 1) / rows;
}

/**
 * A block's slot: f32 work arrays of C (centers, then two arrays of sums), padded to 16
 * bytes, then its two f64 results of C at slotResults (mean and M2, or sum(dy) and
 * sum(dy * (x - mean))).
 */
// @ts-ignore: decorator
@inline export function slotResults(C: i32): usize {
  return (<usize>C * 12 + 15) & ~15;
}

/** Bytes of a block's slot (see slotResults). */
// @ts-ignore: decorator
@inline export function slotBytes(C: i32): usize {
  return slotResults(C) + (<usize>C << 4);
}

/**
 * Where a one-thread call reduces its blocks: one slot in the argument block's coef and
 * scratch (block.ts), after the forward's three f32 coefficient arrays, which a ReLU
 * backward reads while it reduces (7 * C floats of coef and 5 * C of scratch hold it).
 */
// @ts-ignore: decorator
@inline export function oneSlot(coef: usize, C: i32): usize {
  return coef + slotResults(C);
}

/**
 * Rows an interleaved kernel walks together: each vector of per-channel coefficients or
 * sums is loaded once per group of rows and serves the same channels of each.
 */
export const ROW_GROUP: i32 = 4;

/** See groupedReduction. */
const GROUPED_REDUCTION_MAX_BYTES: i64 = 8 << 20;

/**
 * Whether a column reduction of an interleaved tensor (stats.ts shiftedColumnSums,
 * backward.ts rowReduceChunk) walks ROW_GROUP rows together, reading `tensors` tensors of
 * R rows of C floats: yes while they come from cache, no (row by row, straight through
 * memory) beyond GROUPED_REDUCTION_MAX_BYTES read. Measured on this machine's 2-core EPYC,
 * x copy: 64x56x56x128 stats 1.5x grouped, 1.05x row by row, its reduction 2.8x and 1.25x;
 * but 8192x32 stats 1.7x and 2.9x, 4096x512 stats (8 MiB) 1.7x and 2.0x, its reduction
 * (16 MiB) 3.5x and 2.5x. Both walks add each column's rows in row order, so the choice
 * leaves every bit as it was.
 */
export function groupedReduction(R: i32, C: i32, tensors: i32): bool {
  return <i64>R * <i64>C * <i64>(tensors << 2) <= GROUPED_REDUCTION_MAX_BYTES;
}

/**
 * Rows read twice at the start of an interleaved tensor for exact first centers. Later
 * chunks are centered on the running mean, so this only has to start them well.
 */
export const FIRST_ROWS: i32 = 32;

/**
 * Channels of at most this many values get statistics and backward straight from the
 * definitions in f64 (stats.ts exactStats, backward.ts exactBackward): with two values per
 * channel the exact dx is about eps / var times dy, a near-total cancellation, and f32 sums
 * of squares (a relative error of 1e-7 in var) would leave 1e-3 of it.
 */
export const EXACT_COUNT: i32 = 8;

/**
 * True when planar kernels walk the tensor in memory order, run after run, rather than
 * channel by channel: when each statistics chunk is a piece of one run (layout.ts), so the
 * chunks of every channel come in the same order either way (see planeStatsInOrder, stats.ts).
 */
// @ts-ignore: decorator
@inline export function inMemoryOrder(S: i32): bool {
  return S >= CHUNK >> 1;
}

/** Element index of (n, c, s) in an (N, C, S) tensor, channels second or last. */
// @ts-ignore: decorator
@inline export function elementIndex(n: i32, c: i32, s: i32, C: i32, S: i32, channelsLast: i32): i32 {
  return channelsLast ? (n * S + s) * C + c : (n * C + c) * S + s;
}

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

// The chunk planeChunk() last described: `chunkBlocks` runs of `chunkLen` floats starting
// `chunkOffset` bytes after the channel's first run (runs are planeStride bytes apart).
export let chunkOffset: usize = 0;
export let chunkBlocks: i32 = 0;
export let chunkLen: i32 = 0;

/** Number of chunks of one planar channel. */
export function planeChunks(N: i32, S: i32): i32 {
  if (S >= CHUNK >> 1) return N * ((S + CHUNK - 1) / CHUNK);
  const group = CHUNK / S;
  return (N + group - 1) / group;
}

/**
 * Describes chunk k of a planar channel in chunkOffset / chunkBlocks / chunkLen. Long runs
 * are cut into near-equal pieces; short runs are grouped, several samples per chunk.
 */
export function planeChunk(k: i32, N: i32, S: i32, stride: usize): void {
  if (S >= CHUNK >> 1) {
    const pieces = (S + CHUNK - 1) / CHUNK;
    const pieceLen = (S + pieces - 1) / pieces;
    const n = k / pieces, start = (k - n * pieces) * pieceLen;
    chunkOffset = <usize>n * stride + (<usize>start << 2);
    chunkBlocks = 1;
    chunkLen = min(pieceLen, S - start);
  } else {
    const group = CHUNK / S;
    const n = k * group;
    chunkOffset = <usize>n * stride;
    chunkBlocks = min(group, N - n);
    chunkLen = S;
  }
}
