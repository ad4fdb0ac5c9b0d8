// SyncBatchNorm: batch norm whose batch is split across workers. Each rank holds a shard and
// its own module; in training the statistics are those of the whole batch (the ranks
// exchange per-shard mean / variance / count and merge them), and so are the gradients
// (they exchange sum(dy) and sum(dy * (x - mean))). Everything else (eval with running
// statistics, state dicts, train / eval, dispose) is BatchNorm's, unchanged.

import { describe, fail } from "../../runtime/checks.js";
import { slabCopy } from "../../runtime/slab.js";
import type { Gradients, Tensor } from "../../runtime/tensor.js";
import type { BatchNormContext } from "../../ops/batchnorm.js";
import type { Input, Out } from "../../ops/shapes.js";
import type { Workspace } from "../../ops/workspace.js";
import { invstdOf, runningUpdate, updateRunningStats } from "../../ops/running.js";
import { affineGrads, applyStats, shardDx, shardGradSums, shardStats } from "../../ops/split.js";
import { BatchNormBase, type BatchNormOptions } from "../batchnorm.js";
import type { BackwardOptions, ForwardOptions } from "../module.js";
import { SyncChannel } from "./channel.js";
import type { SyncGroupHandle } from "./group.js";

export interface SyncBatchNormOptions extends BatchNormOptions {
  /** This rank's handle of the group (SyncGroup.handle(rank), passed to the worker). */
  group: SyncGroupHandle;
}

/** A training forward's context plus what its backward needs of the statistics over all ranks. */
interface SyncContext extends BatchNormContext {
  readonly globalCount: number;
  readonly mean: Float64Array;
  readonly invstd: Float64Array;
  /** The weight the forward used (a copy), so its backward is of that forward. */
  readonly weight: Float32Array | null;
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

  /** Training forwards (and any with trackRunningStats: false) use the statistics over all ranks. @internal */
  protected override runForward(ws: Workspace, where: string, input: Input, out: Out | null): { y: Float32Array | Tensor; context: BatchNormContext } {
    if (!this.batchStats) return super.runForward(ws, where, input, out);
    const d = this.dimsFor(where, input.shape);
    const local = shardStats(ws, where, input, d);
    const global = this.channel.allGatherStats(where, local.stats);
    if (global.count === 1) {
      fail(where, "expected more than 1 value per channel over all ranks when using batch statistics, got 1");
    }
    const invstd = invstdOf(global.var, this.eps);
    const y = applyStats(ws, where, local.x, input, d, { mean: global.mean, invstd }, this.weight, this.bias, out);
    if (this.training && this.trackRunningStats) {
      const update = runningUpdate(this.convention, this.momentum, this.batches, global.count);
      updateRunningStats({ mean: this.runningMean!, var: this.runningVar! }, global.mean, global.var, update.momentum, update.varFactor);
      this.batches++;
    }
    const context: SyncContext = {
      x: local.x, shape: input.shape, size: input.size, dims: d, training: true, relu: false,
      hasWeight: this.weight !== null, hasBias: this.bias !== null,
      globalCount: global.count, mean: global.mean, invstd, weight: this.weight && slabCopy(this.weight),
    };
    return { y, context };
  }

  /** @internal */
  protected override runBackward(ws: Workspace, where: string, context: BatchNormContext, dy: Input, dxOut: Out | null): Gradients<Float32Array | Tensor> {
    if (!context.training) return super.runBackward(ws, where, context, dy, dxOut);
    const sync = context as SyncContext, d = sync.dims;
    const local = shardGradSums(ws, where, dy, sync.x, d, sync.mean);
    const sums = this.channel.allReduceGradSums(where, local.sumDy, local.sumDyXmu);
    const dx = shardDx(ws, where, local.dy, dy, sync.x, d, sync, sync.weight, sums, sync.globalCount, dxOut);
    if (!this.affine) return { dx, dweight: null, dbias: null };
    return { dx, ...affineGrads(sums.sumDy, sums.sumDyXmu, sync.invstd) };
  }

  private get batchStats(): boolean {
    return this.training || !this.trackRunningStats;
  }

  // Collective calls (a forward with batch statistics, the backward of one): if one fails on
  // this rank, it breaks the group so no peer waits for it.
  override forward(x: Float32Array, shape: readonly number[], options?: ForwardOptions): Float32Array;
  override forward(x: Tensor, shape?: readonly number[] | null, options?: ForwardOptions & { out?: null }): Tensor;
  override forward(x: Float32Array | Tensor, shape?: readonly number[] | null, options?: ForwardOptions): Float32Array | Tensor {
    const call = () => super.forward(x as Float32Array, shape as number[], options);
    return this.batchStats ? this.collective(this.at.forward, call) : call();
  }

  override backward(dy: Float32Array, options?: BackwardOptions): Gradients<Float32Array>;
  override backward(dy: Tensor, options?: BackwardOptions & { dx?: null }): Gradients<Tensor>;
  override backward(dy: Float32Array | Tensor, options?: BackwardOptions): Gradients<Float32Array | Tensor> {
    const call = () => super.backward(dy as Float32Array, options);
    return (this.context as BatchNormContext | null)?.training === true ? this.collective(this.at.backward, call) : call();
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
