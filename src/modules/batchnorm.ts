// BatchNorm1d / 2d / 3d: torch.nn's modules over the kernels. Parameters and running
// statistics are plain Float32Arrays owned by the module (stable views that never detach);
// they are copied into the kernels' memory per call, which costs a few hundred bytes.

import type { Backend, Layout } from "../runtime/backend.js";
import { checkBoolean, checkEps, checkMomentum, checkOptionKeys, checkPositiveInteger, describe, fail } from "../runtime/checks.js";
import type { Gradients, Tensor } from "../runtime/tensor.js";
import { batchNormBackward, batchNormForward, type BatchNormContext } from "../ops/batchnorm.js";
import { CONVENTIONS, checkConvention, refuseNullMomentum, runningUpdate, type Convention } from "../ops/running.js";
import { axesOf, checkBatchCount, checkLayout, dimsOf, type Input, type Out } from "../ops/shapes.js";
import type { Workspace } from "../ops/workspace.js";
import { ChannelNormModule } from "./channel-module.js";
import type { NormStateDict } from "./module.js";

export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /**
   * Weight of the batch statistics in the running update (default 0.1); null: cumulative
   * average. With convention "keras" / "onnx": the decay of the running value instead.
   */
  momentum?: number | null;
  /** Learnable weight and bias (default true). */
  affine?: boolean;
  /** Keep running statistics for eval() (default true). */
  trackRunningStats?: boolean;
  /** "NCHW" (default, channels second) or "NHWC" (channels last: shape (N, *spatial, C)). */
  layout?: Layout;
  /** "relu": a ReLU fused after the normalization, in the forward and the backward (default "none"). */
  activation?: Activation;
  /** Kernels to run on (default: getDefaultBackend()). */
  backend?: Backend;
  /**
   * Whose running-statistics rules (default "pytorch"): "keras" (momentum is the decay,
   * biased moving variance, defaults eps 1e-3 and momentum 0.99) or "onnx" (momentum is the
   * decay, population variance, defaults eps 1e-5 and momentum 0.9). See conventions.ts.
   */
  convention?: Convention;
}

const OPTION_KEYS = ["eps", "momentum", "affine", "trackRunningStats", "layout", "activation", "backend", "convention"] as const;

export type Activation = "none" | "relu";
/** PyTorch's state_dict keys; keys the module does not have are absent. */
export type BatchNormStateDict = NormStateDict;



export abstract class BatchNormBase extends ChannelNormModule {
  readonly eps: number;
  readonly momentum: number | null;
  readonly layout: Layout;
  readonly activation: Activation;
  readonly convention: Convention;

  /**
   * kind: the module's name in messages; ranks: the input ranks it accepts.
   */
  protected constructor(
    kind: string,
    private readonly ranks: readonly number[],
    numFeatures: number,
    options: BatchNormOptions,
  ) {
    const where = kind;
    // Every option is checked before super() allocates the module's memory: a refused
    // constructor must leave nothing allocated.
    checkOptionKeys(where, options, OPTION_KEYS);
    const C = checkPositiveInteger(where, "numFeatures", numFeatures);
    const affine = checkBoolean(where, "affine", options.affine ?? true);
    const trackRunningStats = checkBoolean(where, "trackRunningStats", options.trackRunningStats ?? true);
    const convention = checkConvention(where, options.convention ?? "pytorch");
    const rules = CONVENTIONS[convention];
    const eps = checkEps(where, options.eps ?? rules.eps);
    refuseNullMomentum(where, convention, options.momentum);
    const momentum = checkMomentum(where, options.momentum === undefined ? rules.momentum : options.momentum, true);
    const layout = checkLayout(where, options.layout ?? "NCHW");
    const activation = options.activation ?? "none";
    if (activation !== "none" && activation !== "relu") fail(where, `activation must be "none" or "relu", got ${describe(activation)}`);
    super(kind, options.backend, { numFeatures: C, affine, trackRunningStats, batchNormBlock: true });
    this.convention = convention;
    this.eps = eps;
    this.momentum = momentum;
    this.layout = layout;
    this.activation = activation;
  }

  /** @internal */
  protected runForward(ws: Workspace, where: string, x: Input, out: Out | null): { y: Float32Array | Tensor; context: BatchNormContext } {
    const d = this.dimsFor(where, x.shape);
    const batchStats = this.training || !this.trackRunningStats;
    if (batchStats) checkBatchCount(where, d, x.shape, "when using batch statistics");
    const running = this.trackRunningStats ? { mean: this.runningMean!, var: this.runningVar! } : null;
    const update = batchStats && running ? { running, ...runningUpdate(this.convention, this.momentum, this.batches, d.N * d.S) } : null;
    const result = batchNormForward(ws, {
      where, x, dims: d, eps: this.eps, weight: this.weight, bias: this.bias, relu: this.activation === "relu",
      frozen: batchStats ? null : running, update, out,
    });
    if (this.training && this.trackRunningStats) this.batches++;
    return result;
  }

  /** Through the batch statistics after a training forward, with the running ones frozen after an eval() forward. @internal */
  protected runBackward(ws: Workspace, where: string, context: BatchNormContext, dy: Input, dx: Out | null): Gradients<Float32Array | Tensor> {
    return batchNormBackward(ws, where, context, dy, this.affine, dx);
  }

  /** @internal */
  protected dimsFor(where: string, shape: readonly number[]) {
    if (!this.ranks.includes(shape.length)) {
      const expected = this.ranks.map((r) => `${r}-D input ${axesOf(r, this.layout)}`).join(" or ");
      fail(where, `expected ${expected}, got x of shape ${describe(shape)}`);
    }
    const d = dimsOf(shape, this.layout);
    if (d.C !== this.numFeatures) {
      fail(where, `expected ${this.numFeatures} channels (C in ${axesOf(shape.length, this.layout)}), got ${d.C} in shape ${describe(shape)}`);
    }
    return d;
  }
}

/** Batch norm over (N, C) or (N, C, L) input (NHWC: (N, L, C)). */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super("BatchNorm1d", [2, 3], numFeatures, options);
  }
}

/** Batch norm over (N, C, H, W) input (NHWC: (N, H, W, C)). */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super("BatchNorm2d", [4], numFeatures, options);
  }
}

/** Batch norm over (N, C, D, H, W) input (NHWC: (N, D, H, W, C)). */
export class BatchNorm3d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super("BatchNorm3d", [5], numFeatures, options);
  }
}
