// RMSNorm: torch.nn.RMSNorm (PyTorch 2.4+) over the kernels. Divides each sample by the root
// mean square of its trailing normalizedShape dims; an elementwise weight of that shape, no bias.

import type { Backend } from "../runtime/backend.js";
import { checkBoolean, checkOptionKeys, checkRmsEps } from "../runtime/checks.js";
import type { Geometry } from "../ops/norms.js";
import { checkNormalizedShape, elementMeaning, layerRows } from "../ops/shapes.js";
import { RunsNormModule } from "./runs-module.js";

export interface RMSNormOptions {
  /** Added to the mean square before the square root; null (the default): float32's machine epsilon, 2 ** -23. */
  eps?: number | null;
  /** Learnable elementwise weight (ones) of normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** Kernels to run on (default: getDefaultBackend()). */
  backend?: Backend;
}

const OPTION_KEYS = ["eps", "elementwiseAffine", "backend"] as const;

export class RMSNorm extends RunsNormModule {
  readonly normalizedShape: readonly number[];
  readonly elementwiseAffine: boolean;
  /** @internal */
  protected readonly paramMeaning: string;

  /** Normalizes each x of shape (*, ...normalizedShape) by the root mean square of its trailing normalizedShape dims. */
  constructor(normalizedShape: number | readonly number[], options: RMSNormOptions = {}) {
    checkOptionKeys("RMSNorm", options, OPTION_KEYS);
    const shape = checkNormalizedShape("RMSNorm", normalizedShape);
    const eps = checkRmsEps("RMSNorm", options.eps);
    const affine = checkBoolean("RMSNorm", "elementwiseAffine", options.elementwiseAffine ?? true);
    const params = shape.reduce((a, b) => a * b, 1);
    super("RMSNorm", options.backend, { eps, params, weight: affine, bias: false });
    this.normalizedShape = Object.freeze(shape);
    this.elementwiseAffine = affine;
    this.paramMeaning = elementMeaning(shape);
  }

  /** @internal */
  protected geometry(where: string, shape: readonly number[]): Geometry {
    const { R, L } = layerRows(where, shape, this.normalizedShape);
    return { op: "rows", R, L, centered: false };
  }
}
