// InstanceNorm1d / 2d / 3d: torch.nn's modules over the kernels. Each (sample, channel)
// plane is normalized by its own statistics; optional per-channel weight and bias and
// optional running statistics (see instancenorm-ops.ts for PyTorch's rules).

import type { Backend } from "./backend.js";
import { runBackward, runForward, type ForwardContext, type Gradients } from "./batchnorm-ops.js";
import { checkBoolean, checkEps, checkMomentum, checkOptionKeys, checkPositiveInteger } from "./checks.js";
import { runFamilyBackward, runFamilyForward, type FamilyContext } from "./family-ops.js";
import { checkSpatialSize, instanceDims, updateInstanceRunningStats } from "./instancenorm-ops.js";
import { ChannelNormModule } from "./channel-module.js";
import type { Tensor } from "./tensor.js";

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

/** The last forward: per-instance statistics (group-norm path) or the running ones (batch-norm path). */
type InstanceContext =
  | { readonly kind: "instance"; readonly family: FamilyContext; readonly shape: readonly number[]; readonly size: number }
  | { readonly kind: "running"; readonly channels: ForwardContext; readonly shape: readonly number[]; readonly size: number };

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
    // Batch norm's buffers serve the eval path with running statistics only.
    super(kind, options.backend, { numFeatures: C, affine, trackRunningStats: track, channelBuffers: track });
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
    if (useInputStats) {
      checkSpatialSize(where, d, input.shape);
      const update = this.training && this.trackRunningStats;
      const { y, context } = runFamilyForward(ws, {
        where, x: input, geometry: { op: "group", d: d.group }, eps: this.eps, weight: this.weight, bias: this.bias, variance: update,
      });
      if (update) {
        updateInstanceRunningStats(d.group, ws.get("mean").f64(), ws.get("var").f64(), this.runningMean!, this.runningVar!, this.momentum);
      }
      this.context = { kind: "instance", family: context, shape: input.shape, size: input.size };
      return y;
    }
    const { y, context } = runForward(this.channelWs!, {
      where, x: input, dims: d.channels, eps: this.eps, batchStats: false, weight: this.weight, bias: this.bias,
      running: { mean: this.runningMean!, var: this.runningVar!, momentum: 0, varFactor: 1 }, relu: false,
    });
    this.context = { kind: "running", channels: context, shape: input.shape, size: input.size };
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
    if (context.kind === "instance") {
      return runFamilyBackward(ws, where, context.family, input, this.affine, this.affine);
    }
    return runBackward(this.channelWs!, where, context.channels, input, this.affine);
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
