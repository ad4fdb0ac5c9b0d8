// BatchNorm1d / 2d / 3d: torch.nn's modules over the kernels. Parameters and running
// statistics are plain Float32Arrays owned by the module (stable views that never detach);
// they are copied into the kernels' memory per call, which costs a few hundred bytes.

import type { Backend, Layout } from "./backend.js";
import {
  axesOf, checkBoolean, checkChannelArray, checkEps, checkLayout, checkMomentum, checkOptionKeys,
  checkPositiveInteger, describe, dimsOf, fail,
} from "./checks.js";
import { getDefaultBackend, isBackend } from "./default-backend.js";
import { resolveInput } from "./input.js";
import { runBackward, runForward, type ForwardContext, type Gradients, type RunningStats } from "./batchnorm-ops.js";
import type { Tensor } from "./tensor.js";
import { Workspace } from "./workspace.js";

export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Weight of the batch statistics in the running update (default 0.1); null: cumulative average. */
  momentum?: number | null;
  /** Learnable weight and bias (default true). */
  affine?: boolean;
  /** Keep running statistics for eval() (default true). */
  trackRunningStats?: boolean;
  /** "NCHW" (default, channels second) or "NHWC" (channels last: shape (N, *spatial, C)). */
  layout?: Layout;
  /** "relu": a ReLU fused after the normalization, in the forward and the backward (default "none"). */
  activation?: Activation;
  /** Kernels to run on (default: getDefaultBackend()). */
  backend?: Backend;
}

const OPTION_KEYS = ["eps", "momentum", "affine", "trackRunningStats", "layout", "activation", "backend"] as const;

export type Activation = "none" | "relu";
const STATE_KEYS = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"] as const;

/** PyTorch's state_dict keys; keys the module does not have are absent. */
export interface BatchNormStateDict {
  weight?: Float32Array;
  bias?: Float32Array;
  running_mean?: Float32Array;
  running_var?: Float32Array;
  num_batches_tracked?: number;
}

export type { Gradients };

export abstract class BatchNormBase {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly layout: Layout;
  readonly activation: Activation;
  readonly backend: Backend;
  /** Learnable scale (ones at construction), or null without affine. Write into it freely. */
  readonly weight: Float32Array | null;
  /** Learnable shift (zeros at construction), or null without affine. */
  readonly bias: Float32Array | null;
  /** Running mean (zeros), or null without trackRunningStats. */
  readonly runningMean: Float32Array | null;
  /** Running variance, unbiased (ones), or null without trackRunningStats. */
  readonly runningVar: Float32Array | null;
  /** Each method's name in error messages, built once rather than per call. */
  private readonly at: Record<"forward" | "backward" | "train" | "stateDict" | "loadStateDict", string>;
  private batches = 0;
  private mode = true;
  private ws: Workspace | null;
  private context: ForwardContext | null = null;

  /**
   * kind: the module's name in messages; ranks: the input ranks it accepts.
   */
  protected constructor(
    private readonly kind: string,
    private readonly ranks: readonly number[],
    numFeatures: number,
    options: BatchNormOptions,
  ) {
    const where = kind;
    this.at = {
      forward: `${kind}.forward`, backward: `${kind}.backward`, train: `${kind}.train`,
      stateDict: `${kind}.stateDict`, loadStateDict: `${kind}.loadStateDict`,
    };
    checkOptionKeys(where, options, OPTION_KEYS);
    this.numFeatures = checkPositiveInteger(where, "numFeatures", numFeatures);
    this.eps = checkEps(where, options.eps ?? 1e-5);
    this.momentum = checkMomentum(where, options.momentum === undefined ? 0.1 : options.momentum, true);
    this.affine = checkBoolean(where, "affine", options.affine ?? true);
    this.trackRunningStats = checkBoolean(where, "trackRunningStats", options.trackRunningStats ?? true);
    this.layout = checkLayout(where, options.layout ?? "NCHW");
    const activation = options.activation ?? "none";
    if (activation !== "none" && activation !== "relu") fail(where, `activation must be "none" or "relu", got ${describe(activation)}`);
    this.activation = activation;
    const backend = options.backend ?? getDefaultBackend();
    if (!isBackend(backend)) fail(where, "backend must come from createBackend() or createReferenceBackend()");
    this.backend = backend;
    const C = numFeatures;
    this.weight = this.affine ? new Float32Array(C).fill(1) : null;
    this.bias = this.affine ? new Float32Array(C) : null;
    this.runningMean = this.trackRunningStats ? new Float32Array(C) : null;
    this.runningVar = this.trackRunningStats ? new Float32Array(C).fill(1) : null;
    this.ws = new Workspace(backend, C);
  }

  /** True in training mode (the default); see train() and eval(). */
  get training(): boolean {
    return this.mode;
  }

  /** Training forwards counted while running statistics are tracked. */
  get numBatchesTracked(): number {
    return this.batches;
  }

  get disposed(): boolean {
    return this.ws === null;
  }

  train(mode = true): this {
    this.live(this.at.train);
    this.mode = checkBoolean(this.at.train, "mode", mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Normalizes x. A Float32Array (with its shape) gives a new Float32Array; a Tensor from
   * tensor() gives a new Tensor in the same memory (dispose it when done), with no copy.
   */
  forward(x: Float32Array, shape: readonly number[]): Float32Array;
  forward(x: Tensor, shape?: readonly number[]): Tensor;
  forward(x: Float32Array | Tensor, shape?: readonly number[]): Float32Array | Tensor {
    const where = this.at.forward;
    const ws = this.live(where);
    const input = resolveInput(where, "x", x, shape, this.backend);
    const d = this.dimsFor(where, input.shape);
    const batchStats = this.mode || !this.trackRunningStats;
    if (batchStats && d.N * d.S === 1) {
      fail(where, `expected more than 1 value per channel when using batch statistics, got x of shape ${describe(input.shape)}`);
    }
    const count = d.N * d.S;
    let running: RunningStats | null = null;
    if (this.trackRunningStats) {
      running = {
        mean: this.runningMean!,
        var: this.runningVar!,
        momentum: batchStats ? (this.momentum ?? 1 / (this.batches + 1)) : 0,
        varFactor: batchStats ? count / (count - 1) : 1,
      };
    }
    const { y, context } = runForward(ws, {
      where, x: input, dims: d, eps: this.eps, batchStats, weight: this.weight, bias: this.bias, running,
      relu: this.activation === "relu",
    });
    if (this.mode && this.trackRunningStats) this.batches++;
    this.context = context;
    return y;
  }

  /**
   * Gradients for the last forward, in that forward's mode: through the batch statistics
   * after a training forward, with the running statistics frozen after an eval() forward,
   * and with the weight and bias that forward used. dx has dy's kind (Float32Array or
   * Tensor); dweight / dbias are null without affine.
   */
  backward(dy: Float32Array): Gradients<Float32Array>;
  backward(dy: Tensor): Gradients<Tensor>;
  backward(dy: Float32Array | Tensor): Gradients<Float32Array | Tensor> {
    const where = this.at.backward;
    const ws = this.live(where);
    const context = this.context;
    if (context === null) fail(where, "there is no forward to differentiate: call forward first");
    if (dy instanceof Float32Array && dy.length !== context.size) {
      fail(where, `dy must have ${context.size} elements, the size of the last forward's x ${describe(context.shape)}, got length ${dy.length}`);
    }
    const input = resolveInput(where, "dy", dy, context.shape, this.backend);
    return runBackward(ws, where, context, input, this.affine);
  }

  /** Copies of the state under PyTorch's keys. */
  stateDict(): BatchNormStateDict {
    this.live(this.at.stateDict);
    const sd: BatchNormStateDict = {};
    if (this.affine) {
      sd.weight = this.weight!.slice();
      sd.bias = this.bias!.slice();
    }
    if (this.trackRunningStats) {
      sd.running_mean = this.runningMean!.slice();
      sd.running_var = this.runningVar!.slice();
      sd.num_batches_tracked = this.batches;
    }
    return sd;
  }

  /**
   * Loads a state dict (PyTorch's keys). strict (default): every key the module has must be
   * present and no other. Everything is checked before anything is written.
   */
  loadStateDict(stateDict: BatchNormStateDict, options: { strict?: boolean } = {}): void {
    const where = this.at.loadStateDict;
    this.live(where);
    checkOptionKeys(where, options, ["strict"]);
    const strict = checkBoolean(where, "strict", options.strict ?? true);
    if (typeof stateDict !== "object" || stateDict === null) fail(where, `stateDict must be an object, got ${describe(stateDict)}`);
    const expected: string[] = [
      ...(this.affine ? ["weight", "bias"] : []),
      ...(this.trackRunningStats ? ["running_mean", "running_var", "num_batches_tracked"] : []),
    ];
    const given = stateDict as Record<string, unknown>;
    if (strict) {
      const missing = expected.filter((k) => given[k] === undefined);
      const unexpected = Object.keys(given).filter((k) => !expected.includes(k));
      if (missing.length > 0 || unexpected.length > 0) {
        fail(where, `state dict keys do not match: missing [${missing.join(", ")}], unexpected [${unexpected.join(", ")}]`);
      }
    }
    const arrays: Array<[Float32Array, ArrayLike<number>]> = [];
    const targets: Record<string, Float32Array | null> = {
      weight: this.weight, bias: this.bias, running_mean: this.runningMean, running_var: this.runningVar,
    };
    for (const key of STATE_KEYS.slice(0, 4)) {
      const target = targets[key];
      if (target !== null && given[key] !== undefined) {
        arrays.push([target, checkChannelArray(where, `stateDict.${key}`, given[key], this.numFeatures)]);
      }
    }
    let batches = this.batches;
    const nbt = given.num_batches_tracked;
    if (this.trackRunningStats && nbt !== undefined) {
      const n = typeof nbt === "bigint" ? Number(nbt) : nbt;
      if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
        fail(where, `stateDict.num_batches_tracked must be a non-negative integer, got ${describe(nbt)}`);
      }
      batches = n;
    }
    for (const [target, values] of arrays) target.set(values);
    this.batches = batches;
  }

  /** Frees the module's memory; any later call throws. Disposing twice is allowed. */
  dispose(): void {
    this.ws?.dispose();
    this.ws = null;
    this.context = null;
  }

  private live(where: string): Workspace {
    if (this.ws === null) fail(where, `the ${this.kind} module was disposed`);
    return this.ws;
  }

  private dimsFor(where: string, shape: readonly number[]) {
    if (!this.ranks.includes(shape.length)) {
      const expected = this.ranks.map((r) => `${r}-D input ${axesOf(r, this.layout)}`).join(" or ");
      fail(where, `expected ${expected}, got x of shape ${describe(shape)}`);
    }
    const d = dimsOf(shape, this.layout);
    if (d.C !== this.numFeatures) {
      fail(where, `expected ${this.numFeatures} channels (C in ${axesOf(shape.length, this.layout)}), got ${d.C} in shape ${describe(shape)}`);
    }
    return d;
  }
}

/** Batch norm over (N, C) or (N, C, L) input (NHWC: (N, L, C)). */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super("BatchNorm1d", [2, 3], numFeatures, options);
  }
}

/** Batch norm over (N, C, H, W) input (NHWC: (N, H, W, C)). */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super("BatchNorm2d", [4], numFeatures, options);
  }
}

/** Batch norm over (N, C, D, H, W) input (NHWC: (N, D, H, W, C)). */
export class BatchNorm3d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super("BatchNorm3d", [5], numFeatures, options);
  }
}
