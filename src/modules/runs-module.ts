// What LayerNorm and GroupNorm share: each run of values (a row of normalizedShape, a
// sample's group of channels) is normalized by its own statistics (ops/norms.ts); the two
// differ only in how x's shape is cut into runs and which parameter an element takes.

import type { Gradients, Tensor } from "../runtime/tensor.js";
import { normBackward, normForward, type Geometry, type NormContext } from "../ops/norms.js";
import type { Input, Out } from "../ops/shapes.js";
import type { Workspace } from "../ops/workspace.js";
import { NormModule, type NormStateDict } from "./module.js";

export interface RunsSettings {
  readonly eps: number;
  /** Length of the weight and bias. */
  readonly params: number;
  readonly weight: boolean;
  readonly bias: boolean;
}

export abstract class RunsNormModule extends NormModule {
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

  /** How x's shape is cut into runs, checked (throws naming `where`). @internal */
  protected abstract geometry(where: string, shape: readonly number[]): Geometry;

  /** @internal */
  protected runForward(ws: Workspace, where: string, x: Input, out: Out | null): { y: Float32Array | Tensor; context: NormContext } {
    const geometry = this.geometry(where, x.shape);
    return normForward(ws, { where, x, geometry, eps: this.eps, weight: this.weight, bias: this.bias, out });
  }

  /** @internal */
  protected runBackward(ws: Workspace, where: string, context: NormContext, dy: Input, dx: Out | null): Gradients<Float32Array | Tensor> {
    return normBackward(ws, where, context, dy, this.weight !== null, this.bias !== null, null, dx);
  }

  /** @internal */
  protected stateArrays(): Array<[keyof NormStateDict, Float32Array]> {
    const arrays: Array<[keyof NormStateDict, Float32Array]> = [];
    if (this.weight) arrays.push(["weight", this.weight]);
    if (this.bias) arrays.push(["bias", this.bias]);
    return arrays;
  }

  /** @internal */
  protected get batchCounter(): number | null {
    return null;
  }

  /** @internal */
  protected set batchCounter(_value: number | null) {}
}
