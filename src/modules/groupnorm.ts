// GroupNorm: torch.nn.GroupNorm over the kernels. The channels of each sample are split into
// numGroups groups of consecutive channels, each normalized by its own statistics; weight
// and bias are per channel. Input (N, C, *spatial), channels second, any spatial rank.

import type { Backend } from "../runtime/backend.js";
import { checkBoolean, checkEps, checkOptionKeys, checkPositiveInteger } from "../runtime/checks.js";
import type { Geometry } from "../ops/norms.js";
import { checkGroups, groupDims } from "../ops/shapes.js";
import { RunsNormModule } from "./runs-module.js";

export interface GroupNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learnable per-channel weight (ones) and bias (zeros) (default true). */
  affine?: boolean;
  /** Kernels to run on (default: getDefaultBackend()). */
  backend?: Backend;
}

const OPTION_KEYS = ["eps", "affine", "backend"] as const;

export class GroupNorm extends RunsNormModule {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly affine: boolean;
  /** @internal */
  protected readonly paramMeaning = "one value per channel";

  /** Normalizes x of shape (N, C, *) in numGroups groups of numChannels / numGroups channels; per-channel weight and bias. */
  constructor(numGroups: number, numChannels: number, options: GroupNormOptions = {}) {
    const where = "GroupNorm";
    checkOptionKeys(where, options, OPTION_KEYS);
    const G = checkPositiveInteger(where, "numGroups", numGroups);
    const C = checkPositiveInteger(where, "numChannels", numChannels);
    checkGroups(where, G, C);
    const eps = checkEps(where, options.eps ?? 1e-5);
    const affine = checkBoolean(where, "affine", options.affine ?? true);
    super(where, options.backend, { eps, params: C, weight: affine, bias: affine });
    this.numGroups = G;
    this.numChannels = C;
    this.affine = affine;
  }

  /** @internal */
  protected geometry(where: string, shape: readonly number[]): Geometry {
    return { op: "group", d: groupDims(where, shape, this.numGroups, this.numChannels) };
  }
}
