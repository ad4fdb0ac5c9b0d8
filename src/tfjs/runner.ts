// Inference-mode batch norm over channels-last rows, as TF.js's FusedBatchNorm computes it,
// in a workspace that persists between calls (its regions grow to the largest call seen).

import type { KernelBackend } from "../runtime/backend.js";
import { batchNormForward } from "../ops/batchnorm.js";
import { Workspace } from "../ops/workspace.js";

export interface ChannelParams {
  mean: Float32Array;
  variance: Float32Array;
  offset: Float32Array | null;
  scale: Float32Array | null;
}

export class ChannelsLastEval {
  private ws: Workspace | null;

  constructor(readonly backend: KernelBackend) {
    this.ws = new Workspace(backend);
  }

  /** y = (x - mean) / sqrt(variance + eps) * scale + offset over x.length / C rows of C channels. */
  run(x: Float32Array, C: number, p: ChannelParams, eps: number): Float32Array {
    const rows = x.length / C;
    const { y } = batchNormForward(this.ws!, {
      where: "tf.batchNorm (batchnorm-wasm)",
      x: { shape: [rows, C], size: x.length, tensor: null, array: x },
      dims: { N: rows, C, S: 1, channelsLast: true },
      eps,
      weight: p.scale,
      bias: p.offset,
      relu: false,
      frozen: { mean: p.mean, var: p.variance },
      update: null,
    });
    return y as Float32Array;
  }

  dispose(): void {
    this.ws?.dispose();
    this.ws = null;
  }
}
