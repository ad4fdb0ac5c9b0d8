// What LayerNorm and GroupNorm share: each run of values (a row of normalizedShape, a
// sample's group of channels) is normalized by its own statistics (ops/norms.ts); the two
// differ only in how x's shape is cut into runs and which parameter an element takes.

import type { Tensor } from "../runtime/tensor.js";
import type { Gradients } from "../ops/batchnorm.js";
import { normBackward, normForward, type Geometry, type NormContext } from "../ops/norms.js";
import { NormModule, type NormStateDict } from "./module.js";

export interface RunsSettings {
  readonly eps: number;
  /** Length of the weight and bias. */
  readonly params: number;
  readonly weight: boolean;
  readonly bias: boolean;
}

export abstract class RunsNormModule extends NormModule<NormContext> {
  readonly eps: number;
  /** Learnable scale (ones), or null. Write into it freely. */
  readonly weight: Float32Array | null;
  /** Learnable shift (zeros), or null. */
  readonly bias: Float32Array | null;

  protected constructor(kind: string, backend: unknown, settings: RunsSettings) {
    super(kind, backend);
    this.eps = settings.eps;
    this.weight = settings.weight ? new Float32Array(settings.params).fill(1) : null;
    this.bias = settings.bias ? new Float32Array(settings.params) : null;
  }

  /** How x's shape is cut into runs, checked (throws naming `where`). */
  protected abstract geometry(where: string, shape: readonly number[]): Geometry;

  /**
   * Normalizes x. A Float32Array (with its shape) gives a new Float32Array; a Tensor gives
   * a new Tensor in the same memory, with no copy.
   */
  forward(x: Float32Array, shape: readonly number[]): Float32Array;
  forward(x: Tensor, shape?: readonly number[]): Tensor;
  forward(x: Float32Array | Tensor, shape?: readonly number[]): Float32Array | Tensor {
    const where = this.at.forward;
    const { ws, input } = this.forwardInput(where, x, shape);
    const geometry = this.geometry(where, input.shape);
    const { y, context } = normForward(ws, { where, x: input, geometry, eps: this.eps, weight: this.weight, bias: this.bias });
    this.context = context;
    return y;
  }

  /** Gradients for the last forward; dx has dy's kind; dweight / dbias are null when absent. */
  backward(dy: Float32Array): Gradients<Float32Array>;
  backward(dy: Tensor): Gradients<Tensor>;
  backward(dy: Float32Array | Tensor): Gradients<Float32Array | Tensor> {
    const where = this.at.backward;
    const { ws, context, input } = this.backwardInput(where, dy);
    return normBackward(ws, where, context, input, this.weight !== null, this.bias !== null);
  }

  protected stateArrays(): Array<[keyof NormStateDict, Float32Array]> {
    const arrays: Array<[keyof NormStateDict, Float32Array]> = [];
    if (this.weight) arrays.push(["weight", this.weight]);
    if (this.bias) arrays.push(["bias", this.bias]);
    return arrays;
  }

  protected get batchCounter(): number | null {
    return null;
  }

  protected set batchCounter(_value: number | null) {}
}
