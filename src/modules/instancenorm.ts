// InstanceNorm1d / 2d / 3d: torch.nn's modules over the kernels. Each (sample, channel)
// plane is normalized by its own statistics; optional per-channel weight and bias and
// optional running statistics (see ops/instancenorm.ts for PyTorch's rules). Input channels
// second, or (layout "NHWC") channels last.

import type { Backend, Layout } from "../runtime/backend.js";
import { checkBoolean, checkEps, checkMomentum, checkOptionKeys, checkPositiveInteger } from "../runtime/checks.js";
import type { Gradients, Tensor } from "../runtime/tensor.js";
import { instanceNormBackward, instanceNormForward, type InstanceContext } from "../ops/instancenorm.js";
import { checkLayout, checkSpatialSize, instanceDims, type Input, type Out } from "../ops/shapes.js";
import type { Workspace } from "../ops/workspace.js";
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
  /** "NCHW" (default): x is (N, C, *spatial) or (C, *spatial); "NHWC": (N, *spatial, C) or (*spatial, C). */
  layout?: Layout;
  /** Kernels to run on (default: getDefaultBackend()). */
  backend?: Backend;
}

const OPTION_KEYS = ["eps", "momentum", "affine", "trackRunningStats", "layout", "backend"] as const;

export abstract class InstanceNormBase extends ChannelNormModule {
  readonly eps: number;
  readonly momentum: number;
  readonly layout: Layout;
  private readonly spatialRank: number;

  protected constructor(kind: string, spatialRank: number, numFeatures: number, options: InstanceNormOptions) {
    checkOptionKeys(kind, options, OPTION_KEYS);
    const C = checkPositiveInteger(kind, "numFeatures", numFeatures);
    const eps = checkEps(kind, options.eps ?? 1e-5);
    const momentum = checkMomentum(kind, options.momentum === undefined ? 0.1 : options.momentum, false)!;
    const affine = checkBoolean(kind, "affine", options.affine ?? false);
    const track = checkBoolean(kind, "trackRunningStats", options.trackRunningStats ?? false);
    const layout = checkLayout(kind, options.layout ?? "NCHW");
    // Batch norm's kernels serve the eval path with running statistics only.
    super(kind, options.backend, { numFeatures: C, affine, trackRunningStats: track, batchNormBlock: track });
    this.spatialRank = spatialRank;
    this.eps = eps;
    this.momentum = momentum;
    this.layout = layout;
  }

  /** x of shape (N, C, *spatial) or unbatched (C, *spatial); NHWC (N, *spatial, C) or (*spatial, C). @internal */
  protected runForward(ws: Workspace, where: string, x: Input, out: Out | null): { y: Float32Array | Tensor; context: InstanceContext } {
    const d = instanceDims(where, x.shape, this.spatialRank, this.numFeatures, this.layout);
    const useInputStats = this.training || !this.trackRunningStats;
    if (useInputStats) checkSpatialSize(where, d, x.shape);
    const running = this.trackRunningStats ? { mean: this.runningMean!, var: this.runningVar! } : null;
    return instanceNormForward(ws, {
      where, x, dims: d, eps: this.eps, weight: this.weight, bias: this.bias, useInputStats, running, momentum: this.momentum, out,
    });
  }

  /** Through the per-instance statistics, or with the running ones frozen after an eval() forward with trackRunningStats. @internal */
  protected runBackward(ws: Workspace, where: string, context: InstanceContext, dy: Input, dx: Out | null): Gradients<Float32Array | Tensor> {
    return instanceNormBackward(ws, where, context, dy, this.affine, dx);
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
