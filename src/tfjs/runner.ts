// Inference-mode batch norm over channels-last rows, as TF.js's FusedBatchNorm computes it,
// in a workspace that persists between calls (grown to the largest channel count seen).

import type { Backend } from "../backend.js";
import { runForward } from "../batchnorm-ops.js";
import { Workspace } from "../workspace.js";

export interface ChannelParams {
  mean: Float32Array;
  variance: Float32Array;
  offset: Float32Array | null;
  scale: Float32Array | null;
}

export class ChannelsLastEval {
  private ws: Workspace | null = null;

  constructor(readonly backend: Backend) {}

  /** y = (x - mean) / sqrt(variance + eps) * scale + offset over x.length / C rows of C channels. */
  run(x: Float32Array, C: number, p: ChannelParams, eps: number): Float32Array {
    if (this.ws === null || this.ws.C < C) {
      this.ws?.dispose();
      this.ws = null;
      this.ws = new Workspace(this.backend, C);
    }
    const rows = x.length / C;
    const { y } = runForward(this.ws, {
      where: "tf.batchNorm (batchnorm-wasm)",
      x: { shape: [rows, C], size: x.length, tensor: null, array: x },
      dims: { N: rows, C, S: 1, channelsLast: true },
      eps,
      batchStats: false,
      weight: p.scale,
      bias: p.offset,
      running: { mean: p.mean, var: p.variance, momentum: 0, varFactor: 1 },
      relu: false,
    });
    return y as Float32Array;
  }

  dispose(): void {
    this.ws?.dispose();
    this.ws = null;
  }
}
