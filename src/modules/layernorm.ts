// LayerNorm: torch.nn.LayerNorm over the kernels. Normalizes each sample over the trailing
// dimensions given by normalizedShape; elementwise weight and bias of that shape.

import type { Backend } from "../runtime/backend.js";
import { checkBoolean, checkEps, checkOptionKeys } from "../runtime/checks.js";
import type { Tensor } from "../runtime/tensor.js";
import type { Gradients } from "../ops/batchnorm.js";
import { normBackward, normForward, type NormContext } from "../ops/norms.js";
import { checkNormalizedShape, elementMeaning, layerRows } from "../ops/shapes.js";
import { NormModule, type NormStateDict } from "./module.js";

export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learnable elementwise weight (ones) and bias (zeros) of normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine: false keeps the weight only (default true). */
  bias?: boolean;
  /** Kernels to run on (default: getDefaultBackend()). */
  backend?: Backend;
}

const OPTION_KEYS = ["eps", "elementwiseAffine", "bias", "backend"] as const;

export class LayerNorm extends NormModule<NormContext> {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  /** Learnable scale of normalizedShape's size (flat, row-major; ones), or null. */
  readonly weight: Float32Array | null;
  /** Learnable shift (zeros), or null without elementwiseAffine or with bias: false. */
  readonly bias: Float32Array | null;
  protected readonly paramMeaning: string;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    checkOptionKeys("LayerNorm", options, OPTION_KEYS);
    const shape = checkNormalizedShape("LayerNorm", normalizedShape);
    const eps = checkEps("LayerNorm", options.eps ?? 1e-5);
    const affine = checkBoolean("LayerNorm", "elementwiseAffine", options.elementwiseAffine ?? true);
    const withBias = checkBoolean("LayerNorm", "bias", options.bias ?? true);
    super("LayerNorm", options.backend);
    this.normalizedShape = Object.freeze(shape);
    this.eps = eps;
    this.elementwiseAffine = affine;
    const L = shape.reduce((a, b) => a * b, 1);
    this.weight = affine ? new Float32Array(L).fill(1) : null;
    this.bias = affine && withBias ? new Float32Array(L) : null;
    this.paramMeaning = elementMeaning(shape);
  }

  /**
   * Normalizes x of shape (*, ...normalizedShape). A Float32Array (with its shape) gives a new
   * Float32Array; a Tensor gives a new Tensor in the same memory, with no copy.
   */
  forward(x: Float32Array, shape: readonly number[]): Float32Array;
  forward(x: Tensor, shape?: readonly number[]): Tensor;
  forward(x: Float32Array | Tensor, shape?: readonly number[]): Float32Array | Tensor {
    const where = "LayerNorm.forward";
    const { ws, input } = this.forwardInput(where, x, shape);
    const { R, L } = layerRows(where, input.shape, this.normalizedShape);
    const { y, context } = normForward(ws, {
      where, x: input, geometry: { op: "layer", R, L }, eps: this.eps, weight: this.weight, bias: this.bias,
    });
    this.context = context;
    return y;
  }

  /** Gradients for the last forward; dx has dy's kind; dweight / dbias are null when absent. */
  backward(dy: Float32Array): Gradients<Float32Array>;
  backward(dy: Tensor): Gradients<Tensor>;
  backward(dy: Float32Array | Tensor): Gradients<Float32Array | Tensor> {
    const where = "LayerNorm.backward";
    const { ws, context, input } = this.backwardInput(where, dy);
    return normBackward(ws, where, context, input, this.weight !== null, this.bias !== null);
  }

  protected stateArrays(): Array<[keyof NormStateDict, Float32Array]> {
    const arrays: Array<[keyof NormStateDict, Float32Array]> = [];
    if (this.weight) arrays.push(["weight", this.weight]);
    if (this.bias) arrays.push(["bias", this.bias]);
    return arrays;
  }

  protected get batchCounter(): number | null {
    return null;
  }

  protected set batchCounter(_value: number | null) {}
}
