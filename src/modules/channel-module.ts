// What batch norm and instance norm share beyond NormModule: per-channel weight and bias,
// and running statistics with PyTorch's num_batches_tracked.

import { reserveBatchNorm } from "../ops/batchnorm.js";
import { NormModule, type NormStateDict } from "./module.js";

export interface ChannelSettings {
  readonly numFeatures: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  /** Whether the module runs batch norm's kernels (reserving their per-channel block now). */
  readonly batchNormBlock: boolean;
}

export abstract class ChannelNormModule extends NormModule {
  readonly numFeatures: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  /** Learnable per-channel scale (ones at construction), or null without affine. Write into it freely. */
  readonly weight: Float32Array | null;
  /** Learnable per-channel shift (zeros at construction), or null without affine. */
  readonly bias: Float32Array | null;
  /** Running mean (zeros), or null without trackRunningStats. */
  readonly runningMean: Float32Array | null;
  /** Running variance, unbiased (ones), or null without trackRunningStats. */
  readonly runningVar: Float32Array | null;
  /** @internal */
  protected readonly paramMeaning = "one value per channel";
  /** num_batches_tracked of the state dict. @internal */
  protected batches = 0;

  protected constructor(kind: string, backend: unknown, settings: ChannelSettings) {
    super(kind, backend);
    const { numFeatures: C, affine, trackRunningStats } = settings;
    this.numFeatures = C;
    this.affine = affine;
    this.trackRunningStats = trackRunningStats;
    this.weight = affine ? new Float32Array(C).fill(1) : null;
    this.bias = affine ? new Float32Array(C) : null;
    this.runningMean = trackRunningStats ? new Float32Array(C) : null;
    this.runningVar = trackRunningStats ? new Float32Array(C).fill(1) : null;
    if (settings.batchNormBlock) reserveBatchNorm(this.live(kind), kind, C);
  }

  /**
   * PyTorch's num_batches_tracked: training forwards counted while running statistics are
   * tracked (batch norm); instance norm, like PyTorch's, keeps and loads it but never counts.
   */
  get numBatchesTracked(): number {
    return this.batches;
  }

  /** @internal */
  protected stateArrays(): Array<[key: keyof NormStateDict, array: Float32Array]> {
    const arrays: Array<[keyof NormStateDict, Float32Array]> = [];
    if (this.affine) arrays.push(["weight", this.weight!], ["bias", this.bias!]);
    if (this.trackRunningStats) arrays.push(["running_mean", this.runningMean!], ["running_var", this.runningVar!]);
    return arrays;
  }

  /** @internal */
  protected get batchCounter(): number | null {
    return this.trackRunningStats ? this.batches : null;
  }

  /** @internal */
  protected set batchCounter(value: number | null) {
    if (value !== null) this.batches = value;
  }
}
