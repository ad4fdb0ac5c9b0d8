// The contract between the modules / functional API and whatever runs the numbers: the
// wasm kernels (SIMD or scalar build) or the pure-JS reference. Everything here works on
// Regions, blocks of the backend's own memory, so the layers above never branch on which
// backend they drive.

export type BackendKind = "simd" | "scalar" | "reference";
export type Layout = "NCHW" | "NHWC";

/** An (N, C, *spatial) tensor seen as N samples, C channels and S spatial positions. */
export interface Dims {
  readonly N: number;
  readonly C: number;
  readonly S: number;
  /** True for NHWC (channels last). */
  readonly channelsLast: boolean;
}

/**
 * Group norm's view of a channels-second (N, C, *spatial) tensor: G groups of C / G
 * consecutive channels, S spatial positions. Instance norm is G = C.
 */
export interface GroupDims {
  readonly N: number;
  readonly C: number;
  readonly S: number;
  readonly G: number;
}

/** A block of a backend's memory. */
export interface Region {
  /** Byte offset in the backend's linear memory (0 for the reference backend). */
  readonly ptr: number;
  readonly byteLength: number;
  /** A view of the block, valid until the backend next allocates (the memory may grow). */
  f32(): Float32Array;
  f64(): Float64Array;
  free(): void;
}

/** Per-channel f64 statistics and work areas sized for C channels; see Workspace. */
export interface ChannelBuffers {
  readonly mean: Region; // f64 C
  readonly var: Region; // f64 C, biased
  readonly invstd: Region; // f64 C
  readonly sumDy: Region; // f64 C
  readonly sumDyXmu: Region; // f64 C
  readonly coef: Region; // f32 7C: the forward's coefficients, then the backward's
  readonly scratch: Region; // f32 3C + f64 C
}

/** A ReLU fused after the normalization (batchNormRelu); the bias is needed to recompute its mask. */
export interface FusedRelu {
  readonly bias: Region | null;
}

export interface Backend {
  readonly kind: BackendKind;
  /** Allocates `bytes` bytes (64-byte aligned); throws RangeError past the memory limit. */
  alloc(bytes: number): Region;
  /** Allocation statistics of this backend's memory. */
  memoryStats(): import("./memory.js").MemoryStats;

  /** Batch statistics into ch.mean / ch.var / ch.invstd, and y = (x - mean) * invstd * w + b (then max(y, 0) when relu). */
  trainForward(
    x: Region, y: Region, d: Dims, eps: number, weight: Region | null, bias: Region | null, ch: ChannelBuffers, relu: boolean,
  ): void;
  /** y with the running statistics; leaves them (and invstd) in ch for a frozen backward. */
  evalForward(
    x: Region, y: Region, d: Dims, eps: number, weight: Region | null, bias: Region | null,
    runMean: Region, runVar: Region, ch: ChannelBuffers, relu: boolean,
  ): void;
  /**
   * Gradients given ch.mean / ch.invstd of the forward. training: through the batch
   * statistics; otherwise with them frozen. dx, dweight, dbias may be null. relu: the
   * forward had a fused ReLU, so dy is masked where its output was not positive.
   */
  backward(
    dy: Region, x: Region, dx: Region | null, d: Dims, training: boolean, weight: Region | null,
    dweight: Region | null, dbias: Region | null, ch: ChannelBuffers, relu: FusedRelu | null,
  ): void;
  /** running = (1 - momentum) * running + momentum * batch, batch variance times varFactor. */
  updateRunningStats(C: number, runMean: Region, runVar: Region, ch: ChannelBuffers, momentum: number, varFactor: number): void;

  // The split primitives of data-parallel batch norm (split.ts, SyncBatchNorm): the
  // training forward and backward taken apart where shards exchange per-channel sums.

  /** Mean and biased variance of x per channel into ch.mean / ch.var (f64); nothing else. */
  channelStats(x: Region, d: Dims, ch: ChannelBuffers): void;
  /** y = (x - ch.mean) * ch.invstd * weight + bias with statistics given in ch (f64). */
  applyStats(x: Region, y: Region, d: Dims, weight: Region | null, bias: Region | null, ch: ChannelBuffers): void;
  /** ch.sumDy = sum(dy), ch.sumDyXmu = sum(dy * (x - ch.mean)) per channel (f64). */
  backwardReduce(dy: Region, x: Region, d: Dims, ch: ChannelBuffers): void;
  /**
   * dx through batch statistics of `count` values per channel (all shards together), from
   * ch.mean / ch.invstd and the sums ch.sumDy / ch.sumDyXmu over all shards.
   */
  backwardElemt(dy: Region, x: Region, dx: Region, d: Dims, weight: Region | null, ch: ChannelBuffers, count: number): void;

  // The normalization family. Statistics are per row (layer norm: R rows of L contiguous
  // values) or per (sample, group) run (group / instance norm), kept as f64 in `mean` /
  // `invstd` for the backward.

  /** Layer norm: mean / invstd (f64 R) and y = (x - mean) * invstd * w + b; weight / bias f32 L or null. */
  layerNormForward(
    x: Region, y: Region, R: number, L: number, eps: number, weight: Region | null, bias: Region | null,
    mean: Region, invstd: Region,
  ): void;
  /**
   * Layer-norm gradients from the forward's mean / invstd; dx, dweight, dbias may be null.
   * scratch: layerNormScratchBytes(L).
   */
  layerNormBackward(
    dy: Region, x: Region, dx: Region | null, R: number, L: number, weight: Region | null,
    dweight: Region | null, dbias: Region | null, mean: Region, invstd: Region, scratch: Region,
  ): void;
  /**
   * Group norm: per run n * G + g the mean / invstd (and, if given, biased variance; f64
   * N * G) and y with per-channel weight / bias (f32 C or null).
   */
  groupNormForward(
    x: Region, y: Region, d: GroupDims, eps: number, weight: Region | null, bias: Region | null,
    mean: Region, invstd: Region, variance: Region | null,
  ): void;
  /** Group-norm gradients from the forward's mean / invstd. scratch: groupNormScratchBytes(d). */
  groupNormBackward(
    dy: Region, x: Region, dx: Region | null, d: GroupDims, weight: Region | null,
    dweight: Region | null, dbias: Region | null, mean: Region, invstd: Region, scratch: Region,
  ): void;

  /** memory.copy of `bytes` bytes between regions: the benchmarks' floor. */
  copy(dst: Region, src: Region, bytes: number): void;
}

/** Bytes of scratch layerNormBackward needs for rows of L values. */
export function layerNormScratchBytes(L: number): number {
  return 24 * L;
}

/** Bytes of scratch groupNormBackward needs. */
export function groupNormScratchBytes(d: GroupDims): number {
  return 16 * d.N * d.C;
}
