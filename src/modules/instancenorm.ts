// InstanceNorm1d / 2d / 3d: torch.nn's modules over the kernels. Each (sample, channel)
// plane is normalized by its own statistics; optional per-channel weight and bias and
// optional running statistics (see ops/instancenorm.ts for PyTorch's rules).

import type { Backend } from "../runtime/backend.js";
import { checkBoolean, checkEps, checkMomentum, checkOptionKeys, checkPositiveInteger } from "../runtime/checks.js";
import type { Tensor } from "../runtime/tensor.js";
import type { Gradients } from "../ops/batchnorm.js";
import { instanceNormBackward, instanceNormForward, type InstanceContext } from "../ops/instancenorm.js";
import { checkSpatialSize, instanceDims } from "../ops/shapes.js";
import { ChannelNormModule } from "./channel-module.js";

export interface InstanceNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Weight of the batch statistics in the running update (default 0.1; null is refused, as in PyTorch). */
  momentum?: number;
  /** Learnable per-channel weight and bias (default false). */
  affine?: boolean;
  /** Keep running statistics, used in eval() (default false). */
  trackRunningStats?: boolean;
  /** Kernels to run on (default: getDefaultBackend()). */
  backend?: Backend;
}

const OPTION_KEYS = ["eps", "momentum", "affine", "trackRunningStats", "backend"] as const;

export abstract class InstanceNormBase extends ChannelNormModule<InstanceContext> {
  readonly eps: number;
  readonly momentum: number;
  private readonly spatialRank: number;

  protected constructor(kind: string, spatialRank: number, numFeatures: number, options: InstanceNormOptions) {
    checkOptionKeys(kind, options, OPTION_KEYS);
    const C = checkPositiveInteger(kind, "numFeatures", numFeatures);
    const eps = checkEps(kind, options.eps ?? 1e-5);
    const momentum = checkMomentum(kind, options.momentum === undefined ? 0.1 : options.momentum, false)!;
    const affine = checkBoolean(kind, "affine", options.affine ?? false);
    const track = checkBoolean(kind, "trackRunningStats", options.trackRunningStats ?? false);
    // Batch norm's kernels serve the eval path with running statistics only.
    super(kind, options.backend, { numFeatures: C, affine, trackRunningStats: track, batchNormBlock: track });
    this.spatialRank = spatialRank;
    this.eps = eps;
    this.momentum = momentum;
  }

  /**
   * Normalizes x of shape (N, C, *spatial) or unbatched (C, *spatial). A Float32Array (with
   * its shape) gives a new Float32Array; a Tensor gives a new Tensor, with no copy.
   */
  forward(x: Float32Array, shape: readonly number[]): Float32Array;
  forward(x: Tensor, shape?: readonly number[]): Tensor;
  forward(x: Float32Array | Tensor, shape?: readonly number[]): Float32Array | Tensor {
    const where = `${this.kind}.forward`;
    const { ws, input } = this.forwardInput(where, x, shape);
    const d = instanceDims(where, input.shape, this.spatialRank, this.numFeatures);
    const useInputStats = this.training || !this.trackRunningStats;
    if (useInputStats) checkSpatialSize(where, d, input.shape);
    const running = this.trackRunningStats ? { mean: this.runningMean!, var: this.runningVar! } : null;
    const { y, context } = instanceNormForward(ws, {
      where, x: input, dims: d, eps: this.eps, weight: this.weight, bias: this.bias, useInputStats,
      running, momentum: this.momentum,
    });
    this.context = context;
    return y;
  }

  /**
   * Gradients for the last forward: through the per-instance statistics, or with the running
   * statistics frozen after an eval() forward with trackRunningStats. dx has dy's kind;
   * dweight / dbias are null without affine.
   */
  backward(dy: Float32Array): Gradients<Float32Array>;
  backward(dy: Tensor): Gradients<Tensor>;
  backward(dy: Float32Array | Tensor): Gradients<Float32Array | Tensor> {
    const where = `${this.kind}.backward`;
    const { ws, context, input } = this.backwardInput(where, dy);
    return instanceNormBackward(ws, where, context, input, this.affine);
  }
}

/** Instance norm over (N, C, L) or unbatched (C, L) input. */
export class InstanceNorm1d extends InstanceNormBase {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super("InstanceNorm1d", 1, numFeatures, options);
  }
}

/** Instance norm over (N, C, H, W) or unbatched (C, H, W) input. */
export class InstanceNorm2d extends InstanceNormBase {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super("InstanceNorm2d", 2, numFeatures, options);
  }
}

/** Instance norm over (N, C, D, H, W) or unbatched (C, D, H, W) input. */
export class InstanceNorm3d extends InstanceNormBase {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super("InstanceNorm3d", 3, numFeatures, options);
  }
}
