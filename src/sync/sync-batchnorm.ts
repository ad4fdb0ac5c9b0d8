// SyncBatchNorm: batch norm whose batch is split across workers. Each rank holds a shard and
// its own module; in training the statistics are those of the whole batch (the ranks
// exchange per-shard mean / variance / count and merge them), and so are the gradients
// (they exchange sum(dy) and sum(dy * (x - mean))). Everything else (eval with running
// statistics, state dicts, train / eval, dispose) is BatchNorm's, unchanged.

import { BatchNormBase, type BatchNormOptions, type Gradients } from "../batchnorm.js";
import { describe, fail } from "../checks.js";
import { runningUpdate } from "../conventions.js";
import type { ForwardContext } from "../batchnorm-ops.js";
import { slabCopy } from "../slab.js";
import { affineGrads, updateRunning } from "../split.js";
import { wrapRegion, type Tensor } from "../tensor.js";
import { SyncChannel } from "./channel.js";
import type { SyncGroupHandle } from "./group.js";

export interface SyncBatchNormOptions extends BatchNormOptions {
  /** This rank's handle of the group (SyncGroup.handle(rank), passed to the worker). */
  group: SyncGroupHandle;
}

/** A training forward's context plus the count over all ranks that its backward needs. */
interface SyncContext extends ForwardContext {
  readonly globalCount: number;
}

/**
 * torch.nn.SyncBatchNorm on workers: input (N, C, *) of any rank from 2 (NHWC: (N, *, C)),
 * N may differ between ranks. Every rank must make the same calls in the same order
 * (forward and backward in training are collective); eval() forwards with running
 * statistics are local.
 */
export class SyncBatchNorm extends BatchNormBase {
  /** The group this module exchanges through. */
  readonly channel: SyncChannel;

  constructor(numFeatures: number, options: SyncBatchNormOptions) {
    super("SyncBatchNorm", [2, 3, 4, 5], numFeatures, SyncBatchNorm.baseOptions(options));
    this.channel = SyncChannel.join(options.group, "SyncBatchNorm");
    if (this.activation !== "none") fail("SyncBatchNorm", `activation must be "none" (a fused ReLU is not offered across workers), got ${describe(this.activation)}`);
    if (numFeatures > this.channel.maxChannels) {
      fail("SyncBatchNorm", `numFeatures ${numFeatures} is more than the group's maxChannels ${this.channel.maxChannels} (createSyncGroup option)`);
    }
  }

  private static baseOptions(options: SyncBatchNormOptions): BatchNormOptions {
    if (typeof options !== "object" || options === null || !("group" in options)) {
      fail("SyncBatchNorm", `options must include group (a handle from SyncGroup.handle(rank)), got ${describe(options)}`);
    }
    const { group: _group, ...rest } = options;
    return rest;
  }

  /** This rank (0 to worldSize - 1). */
  get rank(): number {
    return this.channel.rank;
  }

  override forward(x: Float32Array, shape: readonly number[]): Float32Array;
  override forward(x: Tensor, shape?: readonly number[]): Tensor;
  override forward(x: Float32Array | Tensor, shape?: readonly number[]): Float32Array | Tensor {
    if (!this.training && this.trackRunningStats) return super.forward(x as Float32Array, shape as number[]);
    const where = "SyncBatchNorm.forward";
    return this.collective(where, () => {
      const { input } = this.forwardInput(where, x, shape);
      const d = this.dimsFor(where, input.shape);
      const ws = this.channelWs!;
      const backend = this.backend;
      const bytes = input.size * 4;
      const { staged, fresh } = ws.prepare(input.tensor ? [] : [["x", bytes], ["y", bytes]], input.tensor ? [bytes] : []);
      const xRegion = input.tensor ? input.tensor.regionFor(where) : staged[0];
      const yRegion = input.tensor ? fresh[0] : staged[1];
      try {
        if (input.array) xRegion.f32().set(input.array);
        backend.channelStats(xRegion, d, ws.ch);
        const C = d.C;
        const local = { mean: ws.ch.mean.f64().slice(0, C), var: ws.ch.var.f64().slice(0, C), count: d.N * d.S };
        const global = this.channel.allGatherStats(where, local);
        if (global.count === 1) {
          fail(where, "expected more than 1 value per channel over all ranks when using batch statistics, got 1");
        }
        ws.ch.mean.f64().set(global.mean);
        ws.ch.var.f64().set(global.var);
        const invstd = ws.ch.invstd.f64();
        for (let c = 0; c < C; c++) invstd[c] = 1 / Math.sqrt(global.var[c] + this.eps);
        if (this.weight) ws.weight.f32().set(this.weight);
        if (this.bias) ws.bias.f32().set(this.bias);
        backend.applyStats(xRegion, yRegion, d, this.weight && ws.weight, this.bias && ws.bias, ws.ch);
        if (this.training && this.trackRunningStats) {
          const update = runningUpdate(this.convention, this.momentum, this.batches, global.count);
          updateRunning(this.runningMean!, this.runningVar!, global, update.momentum, update.varFactor);
          this.batches++;
        }
        const context: SyncContext = {
          x: xRegion, xTensor: input.tensor, shape: input.shape, size: input.size, dims: d, batchStats: true,
          weight: this.weight && slabCopy(this.weight), bias: null, relu: false, globalCount: global.count,
        };
        this.context = context;
      } catch (error) {
        if (input.tensor) yRegion.free();
        throw error;
      }
      return input.tensor ? wrapRegion(backend, input.shape, input.size, yRegion) : yRegion.f32().slice(0, input.size);
    });
  }

  override backward(dy: Float32Array): Gradients<Float32Array>;
  override backward(dy: Tensor): Gradients<Tensor>;
  override backward(dy: Float32Array | Tensor): Gradients<Float32Array | Tensor> {
    const context = this.context as SyncContext | null;
    if (context === null || !context.batchStats) return super.backward(dy as Float32Array);
    const where = "SyncBatchNorm.backward";
    return this.collective(where, () => {
      const { input } = this.backwardInput(where, dy);
      const ws = this.channelWs!;
      const backend = this.backend;
      const d = context.dims, C = d.C;
      const x = context.xTensor ? context.xTensor.regionFor(where, "x of the forward") : context.x;
      const bytes = input.size * 4;
      const { staged, fresh } = ws.prepare(input.tensor ? [] : [["dy", bytes], ["dx", bytes]], input.tensor ? [bytes] : []);
      const dyRegion = input.tensor ? input.tensor.regionFor(where) : staged[0];
      const dxRegion = input.tensor ? fresh[0] : staged[1];
      try {
        if (input.array) dyRegion.f32().set(input.array);
        backend.backwardReduce(dyRegion, x, d, ws.ch);
        const sums = this.channel.allReduceGradSums(where, ws.ch.sumDy.f64().slice(0, C), ws.ch.sumDyXmu.f64().slice(0, C));
        ws.ch.sumDy.f64().set(sums.sumDy);
        ws.ch.sumDyXmu.f64().set(sums.sumDyXmu);
        if (context.weight) ws.weight.f32().set(context.weight);
        backend.backwardElemt(dyRegion, x, dxRegion, d, context.weight && ws.weight, ws.ch, context.globalCount);
        const dxOut = input.tensor ? wrapRegion(backend, context.shape, context.size, dxRegion) : dxRegion.f32().slice(0, input.size);
        if (!this.affine) return { dx: dxOut, dweight: null, dbias: null };
        const { dweight, dbias } = affineGrads(sums.sumDy, sums.sumDyXmu, ws.ch.invstd.f64().subarray(0, C));
        return { dx: dxOut, dweight, dbias };
      } catch (error) {
        if (input.tensor) dxRegion.free();
        throw error;
      }
    });
  }

  /** Runs a collective call; if it fails on this rank, breaks the group so no peer waits for it. */
  private collective<T>(where: string, call: () => T): T {
    this.channel.checkWorking(where);
    try {
      return call();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.channel.abort(`rank ${this.rank} failed: ${message}`);
      throw error;
    }
  }
}
