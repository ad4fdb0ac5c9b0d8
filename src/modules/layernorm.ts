// LayerNorm: torch.nn.LayerNorm over the kernels. Normalizes each sample over the trailing
// dimensions given by normalizedShape; elementwise weight and bias of that shape.

import type { Backend } from "../runtime/backend.js";
import { checkBoolean, checkEps, checkOptionKeys } from "../runtime/checks.js";
import type { Geometry } from "../ops/norms.js";
import { checkNormalizedShape, elementMeaning, layerRows } from "../ops/shapes.js";
import { RunsNormModule } from "./runs-module.js";

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

export class LayerNorm extends RunsNormModule {
  readonly normalizedShape: readonly number[];
  readonly elementwiseAffine: boolean;
  /** @internal */
  protected readonly paramMeaning: string;

  /** Normalizes each x of shape (*, ...normalizedShape) over its trailing normalizedShape dims. */
  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    checkOptionKeys("LayerNorm", options, OPTION_KEYS);
    const shape = checkNormalizedShape("LayerNorm", normalizedShape);
    const eps = checkEps("LayerNorm", options.eps ?? 1e-5);
    const affine = checkBoolean("LayerNorm", "elementwiseAffine", options.elementwiseAffine ?? true);
    const withBias = checkBoolean("LayerNorm", "bias", options.bias ?? true);
    const params = shape.reduce((a, b) => a * b, 1);
    // The weight is flat, row-major over normalizedShape; the bias is absent with bias: false.
    super("LayerNorm", options.backend, { eps, params, weight: affine, bias: affine && withBias });
    this.normalizedShape = Object.freeze(shape);
    this.elementwiseAffine = affine;
    this.paramMeaning = elementMeaning(shape);
  }

  /** @internal */
  protected geometry(where: string, shape: readonly number[]): Geometry {
    const { R, L } = layerRows(where, shape, this.normalizedShape);
    return { op: "layer", R, L };
  }
}
