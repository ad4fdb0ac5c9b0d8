// Folding an eval-mode batch norm into the linear or convolution layer before it, for
// inference: bn(W x + b) = (scale * W) x + (b - runningMean) * scale + bias per output
// channel, scale = weight / sqrt(runningVar + eps). The batch norm can then be dropped.

import { checkArray, checkEps, checkOptionKeys, describe, fail } from "../runtime/checks.js";
import { BatchNormBase } from "../modules/batchnorm.js";

/**
 * Where the output channel sits in the preceding layer's weight:
 * - linear: "OI" (default; PyTorch's nn.Linear, (out, in)) or "IO" (Keras / TF.js Dense
 *   kernels, (in, out));
 * - conv: "OIHW" (default; PyTorch's nn.Conv*d, (out, in / groups, kh, kw) and likewise for
 *   1-D / 3-D kernels: output channel first) or "HWIO" (TF.js / Keras conv2d filters,
 *   (kh, kw, in, out): output channel last).
 */
export type FoldLayout = "OI" | "IO" | "OIHW" | "HWIO";

export interface FoldOptions {
  /** The preceding layer's weight, flat in `layout`'s order. */
  weight: ArrayLike<number>;
  /** Its bias, one per output channel; missing or null: no bias (zero). */
  bias?: ArrayLike<number> | null;
  kind: "linear" | "conv";
  layout?: FoldLayout;
}

/** The eval-mode batch norm's numbers, as a module or as plain arrays. */
export interface FoldableBatchNorm {
  runningMean: ArrayLike<number> | null;
  runningVar: ArrayLike<number> | null;
  /** null or missing: affine: false (weight 1, bias 0). */
  weight?: ArrayLike<number> | null;
  bias?: ArrayLike<number> | null;
  eps: number;
}

const KEYS = ["weight", "bias", "kind", "layout"];
const LAYOUTS: Record<FoldOptions["kind"], readonly FoldLayout[]> = { linear: ["OI", "IO"], conv: ["OIHW", "HWIO"] };

const channelArray = (where: string, name: string, value: unknown, C: number) =>
  checkArray(where, name, value, C, "one value per output channel");

/**
 * The weight and bias of the layer before `bn` with bn's eval-mode normalization folded in
 * (computed in float64, rounded once to float32). bn: a BatchNorm1d/2d/3d (its running
 * statistics, weight, bias and eps) or an object with the same fields.
 */
export function foldBatchNorm(bn: BatchNormBase | FoldableBatchNorm, options: FoldOptions): { weight: Float32Array; bias: Float32Array } {
  const where = "foldBatchNorm";
  if (typeof bn !== "object" || bn === null) fail(where, `bn must be a BatchNorm module or { runningMean, runningVar, weight, bias, eps }, got ${describe(bn)}`);
  if (bn instanceof BatchNormBase && bn.disposed) fail(where, "the BatchNorm module was disposed");
  checkOptionKeys(where, options, KEYS);
  if (options === undefined) fail(where, "options { weight, kind } are required");
  const kind = options.kind;
  if (kind !== "linear" && kind !== "conv") fail(where, `kind must be "linear" or "conv", got ${describe(kind)}`);
  const layout = options.layout ?? LAYOUTS[kind][0];
  if (!LAYOUTS[kind].includes(layout)) {
    fail(where, `layout for kind "${kind}" must be ${LAYOUTS[kind].map((l) => JSON.stringify(l)).join(" or ")}, got ${describe(layout)}`);
  }
  const { runningMean, runningVar } = bn;
  if (runningMean == null || runningVar == null) {
    fail(where, "bn has no running statistics (trackRunningStats: false): an eval-mode batch norm that uses batch statistics cannot be folded");
  }
  const C = runningMean.length;
  channelArray(where, "bn.runningVar", runningVar, C);
  const gamma = bn.weight == null ? null : channelArray(where, "bn.weight", bn.weight, C);
  const beta = bn.bias == null ? null : channelArray(where, "bn.bias", bn.bias, C);
  const eps = checkEps(where, bn.eps);
  const w = options.weight;
  if (!(ArrayBuffer.isView(w) || Array.isArray(w))) fail(where, `weight must be a Float32Array, got ${describe(w)}`);
  if (w.length === 0 || w.length % C !== 0) {
    fail(where, `weight has length ${w.length}, not a multiple of bn's ${C} channels (its output channels)`);
  }
  const b = options.bias == null ? null : channelArray(where, "bias", options.bias, C);

  const scale = new Float64Array(C);
  const bias = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    scale[c] = (gamma ? gamma[c] : 1) / Math.sqrt(runningVar[c] + eps);
    bias[c] = ((b ? b[c] : 0) - runningMean[c]) * scale[c] + (beta ? beta[c] : 0);
  }
  const weight = new Float32Array(w.length);
  const outFirst = layout === "OI" || layout === "OIHW";
  if (outFirst) {
    const per = w.length / C;
    for (let i = 0; i < w.length; i++) weight[i] = w[i] * scale[Math.floor(i / per)];
  } else {
    for (let i = 0; i < w.length; i++) weight[i] = w[i] * scale[i % C];
  }
  return { weight, bias };
}
