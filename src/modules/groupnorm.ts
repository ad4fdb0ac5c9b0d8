// GroupNorm: torch.nn.GroupNorm over the kernels. The channels of each sample are split into
// numGroups groups of consecutive channels, each normalized by its own statistics; weight
// and bias are per channel. Input (N, C, *spatial), channels second, any spatial rank.

import type { Backend } from "../runtime/backend.js";
import { checkBoolean, checkEps, checkOptionKeys, checkPositiveInteger } from "../runtime/checks.js";
import type { Tensor } from "../runtime/tensor.js";
import type { Gradients } from "../ops/batchnorm.js";
import { normBackward, normForward, type NormContext } from "../ops/norms.js";
import { checkGroups, groupDims } from "../ops/shapes.js";
import { NormModule, type NormStateDict } from "./module.js";

export interface GroupNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learnable per-channel weight (ones) and bias (zeros) (default true). */
  affine?: boolean;
  /** Kernels to run on (default: getDefaultBackend()). */
  backend?: Backend;
}

const OPTION_KEYS = ["eps", "affine", "backend"] as const;

export class GroupNorm extends NormModule<NormContext> {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  /** Learnable per-channel scale (ones), or null without affine. */
  readonly weight: Float32Array | null;
  /** Learnable per-channel shift (zeros), or null without affine. */
  readonly bias: Float32Array | null;
  protected readonly paramMeaning: string;

  constructor(numGroups: number, numChannels: number, options: GroupNormOptions = {}) {
    const where = "GroupNorm";
    checkOptionKeys(where, options, OPTION_KEYS);
    const G = checkPositiveInteger(where, "numGroups", numGroups);
    const C = checkPositiveInteger(where, "numChannels", numChannels);
    checkGroups(where, G, C);
    const eps = checkEps(where, options.eps ?? 1e-5);
    const affine = checkBoolean(where, "affine", options.affine ?? true);
    super(where, options.backend);
    this.numGroups = G;
    this.numChannels = C;
    this.eps = eps;
    this.affine = affine;
    this.weight = affine ? new Float32Array(C).fill(1) : null;
    this.bias = affine ? new Float32Array(C) : null;
    this.paramMeaning = "one value per channel";
  }

  /**
   * Normalizes x of shape (N, C, *). A Float32Array (with its shape) gives a new
   * Float32Array; a Tensor gives a new Tensor in the same memory, with no copy.
   */
  forward(x: Float32Array, shape: readonly number[]): Float32Array;
  forward(x: Tensor, shape?: readonly number[]): Tensor;
  forward(x: Float32Array | Tensor, shape?: readonly number[]): Float32Array | Tensor {
    const where = "GroupNorm.forward";
    const { ws, input } = this.forwardInput(where, x, shape);
    const d = groupDims(where, input.shape, this.numGroups, this.numChannels);
    const { y, context } = normForward(ws, {
      where, x: input, geometry: { op: "group", d }, eps: this.eps, weight: this.weight, bias: this.bias,
    });
    this.context = context;
    return y;
  }

  /** Gradients for the last forward; dx has dy's kind; dweight / dbias are null without affine. */
  backward(dy: Float32Array): Gradients<Float32Array>;
  backward(dy: Tensor): Gradients<Tensor>;
  backward(dy: Float32Array | Tensor): Gradients<Float32Array | Tensor> {
    const where = "GroupNorm.backward";
    const { ws, context, input } = this.backwardInput(where, dy);
    return normBackward(ws, where, context, input, this.affine, this.affine);
  }

  protected stateArrays(): Array<[keyof NormStateDict, Float32Array]> {
    return this.affine ? [["weight", this.weight!], ["bias", this.bias!]] : [];
  }

  protected get batchCounter(): number | null {
    return null;
  }

  protected set batchCounter(_value: number | null) {}
}
