// GroupNorm: torch.nn.GroupNorm over the kernels. The channels of each sample are split into
// numGroups groups of consecutive channels, each normalized by its own statistics; weight
// and bias are per channel. Input (N, C, *spatial), channels second, or (layout "NHWC")
// (N, *spatial, C), channels last; any spatial rank.

import type { Backend, Layout } from "../runtime/backend.js";
import { checkBoolean, checkEps, checkOptionKeys, checkPositiveInteger } from "../runtime/checks.js";
import type { Geometry } from "../ops/norms.js";
import { checkGroups, checkLayout, groupDims } from "../ops/shapes.js";
import { RunsNormModule } from "./runs-module.js";

export interface GroupNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learnable per-channel weight (ones) and bias (zeros) (default true). */
  affine?: boolean;
  /** "NCHW" (default): x is (N, C, *spatial); "NHWC": (N, *spatial, C), channels last. */
  layout?: Layout;
  /** Kernels to run on (default: getDefaultBackend()). */
  backend?: Backend;
}

const OPTION_KEYS = ["eps", "affine", "layout", "backend"] as const;

export class GroupNorm extends RunsNormModule {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly affine: boolean;
  readonly layout: Layout;
  /** @internal */
  protected readonly paramMeaning = "one value per channel";

  /** Normalizes x of shape (N, C, *) (NHWC: (N, *, C)) in numGroups groups of numChannels / numGroups channels; per-channel weight and bias. */
  constructor(numGroups: number, numChannels: number, options: GroupNormOptions = {}) {
    const where = "GroupNorm";
    checkOptionKeys(where, options, OPTION_KEYS);
    const G = checkPositiveInteger(where, "numGroups", numGroups);
    const C = checkPositiveInteger(where, "numChannels", numChannels);
    checkGroups(where, G, C);
    const eps = checkEps(where, options.eps ?? 1e-5);
    const affine = checkBoolean(where, "affine", options.affine ?? true);
    const layout = checkLayout(where, options.layout ?? "NCHW");
    super(where, options.backend, { eps, params: C, weight: affine, bias: affine });
    this.numGroups = G;
    this.numChannels = C;
    this.affine = affine;
    this.layout = layout;
  }

  /** @internal */
  protected geometry(where: string, shape: readonly number[]): Geometry {
    return { op: "group", d: groupDims(where, shape, this.numGroups, this.numChannels, this.layout) };
  }
}
