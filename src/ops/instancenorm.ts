// Instance norm, shared by the modules and the functional API, built from the other two
// ops as PyTorch builds it: each (sample, channel) plane normalized by its own statistics
// is group norm with one channel per group; with tracked running statistics PyTorch (1.13)
// averages the per-instance mean and unbiased variance over the batch before the momentum
// update, and in eval mode normalizes every plane of a channel with the running
// statistics: exactly batch norm's inference.

import type { GroupDims } from "../runtime/backend.js";
import type { RunningPair } from "../runtime/checks.js";
import type { Tensor } from "../runtime/tensor.js";
import { batchNormBackward, batchNormForward, type BatchNormContext, type Gradients } from "./batchnorm.js";
import { normBackward, normForward, type NormContext } from "./norms.js";
import { updateRunningStats } from "./running.js";
import type { Input, Out } from "./shapes.js";
import type { ForwardRequest, Workspace } from "./workspace.js";

export interface InstanceNormForward extends ForwardRequest {
  readonly dims: GroupDims;
  /** true: each plane by its own statistics (and `running`, if given, updated); false: by `running`. */
  readonly useInputStats: boolean;
  readonly running: RunningPair | null;
  readonly momentum: number;
}

/** The last forward: per-instance statistics (group-norm path) or the running ones (batch-norm path). */
export type InstanceContext =
  | { readonly kind: "instance"; readonly context: NormContext; readonly shape: readonly number[]; readonly size: number }
  | { readonly kind: "running"; readonly context: BatchNormContext; readonly shape: readonly number[]; readonly size: number };

/** y, its context, and the statistics used (per (n, c) plane, or the running ones per channel). */
export function instanceNormForward(
  ws: Workspace, f: InstanceNormForward,
): { y: Float32Array | Tensor; context: InstanceContext; saveMean: Float64Array; saveInvstd: Float64Array } {
  const { x, dims: d } = f;
  const at = { shape: x.shape, size: x.size };
  if (f.useInputStats) {
    const { y, context, stats } = normForward(ws, {
      where: f.where, x, geometry: { op: "group", d }, eps: f.eps, weight: f.weight, bias: f.bias, out: f.out,
    });
    if (f.running) {
      const mean = stats.stat("mean"), variance = stats.stat("var");
      const batchMean = new Float64Array(d.C), batchVar = new Float64Array(d.C);
      for (let c = 0; c < d.C; c++) {
        let m = 0, v = 0;
        for (let n = 0; n < d.N; n++) {
          m += mean[n * d.C + c];
          v += variance[n * d.C + c];
        }
        batchMean[c] = m / d.N;
        batchVar[c] = v / d.N;
      }
      updateRunningStats(f.running, batchMean, batchVar, f.momentum, d.S / (d.S - 1));
    }
    return { y, context: { kind: "instance", context, ...at }, saveMean: stats.stat("mean").slice(), saveInvstd: stats.stat("invstd").slice() };
  }
  const { y, context, stats } = batchNormForward(ws, {
    where: f.where, x, dims: { N: d.N, C: d.C, S: d.S, channelsLast: d.channelsLast }, eps: f.eps, weight: f.weight, bias: f.bias,
    relu: false, frozen: f.running, update: null, out: f.out,
  });
  return { y, context: { kind: "running", context, ...at }, saveMean: stats.stat("mean").slice(), saveInvstd: stats.stat("invstd").slice() };
}

export function instanceNormBackward(
  ws: Workspace, where: string, context: InstanceContext, dy: Input, paramGrads: boolean, dxOut: Out | null = null,
): Gradients<Float32Array | Tensor> {
  if (context.kind === "instance") return normBackward(ws, where, context.context, dy, paramGrads, paramGrads, null, dxOut);
  return batchNormBackward(ws, where, context.context, dy, paramGrads, dxOut);
}
