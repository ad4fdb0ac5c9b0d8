// What every normalization module shares:
// train() / eval(), state dicts under PyTorch's keys, dispose(), and the checks around
// forward and backward (a refused call changes nothing).

import type { Backend } from "../runtime/backend.js";
import { checkArray, checkBoolean, checkOptionKeys, describe, fail } from "../runtime/checks.js";
import { backendOption } from "../runtime/default-backend.js";
import type { Gradients, Tensor } from "../runtime/tensor.js";
import { resolveInput, resolveOut, type Input, type Out } from "../ops/shapes.js";
import { Workspace } from "../ops/workspace.js";

/** PyTorch's state_dict keys of the family modules; keys a module does not have are absent. */
export interface NormStateDict {
  weight?: Float32Array;
  bias?: Float32Array;
  running_mean?: Float32Array;
  running_var?: Float32Array;
  num_batches_tracked?: number;
}

/** Options of a module's forward. */
export interface ForwardOptions {
  /**
   * A Float32Array of x's size that y is written into, and returned: no new array per call.
   * A view of the backend's memory (a tensor's `.data`) is written in place. It may be x.
   */
  out?: Float32Array | null;
}

/** Options of a module's backward. */
export interface BackwardOptions {
  /** A Float32Array of dy's size that dx is written into, and returned as `dx` (as `out` of the forward). It may be dy. */
  dx?: Float32Array | null;
}

const FORWARD_KEYS = ["out"];
const BACKWARD_KEYS = ["dx"];

/** What a backward needs to know about the last forward's input (each module's op keeps more). */
export interface ForwardShape {
  readonly shape: readonly number[];
  readonly size: number;
}

export abstract class NormModule {
  readonly backend: Backend;
  private mode = true;
  private workspace: Workspace | null;
  /** The last forward, for backward (null before the first forward). @internal */
  protected context: ForwardShape | null = null;
  /** forward's and backward's names in error messages, built once rather than per call. @internal */
  protected readonly at: { readonly forward: string; readonly backward: string };

  protected constructor(protected readonly kind: string, backend: unknown) {
    const kernels = backendOption(kind, backend);
    this.backend = kernels;
    this.workspace = new Workspace(kernels);
    this.at = { forward: `${kind}.forward`, backward: `${kind}.backward` };
  }

  /** True in training mode (the default); see train() and eval(). */
  get training(): boolean {
    return this.mode;
  }

  get disposed(): boolean {
    return this.workspace === null;
  }

  train(mode = true): this {
    this.live(`${this.kind}.train`);
    this.mode = checkBoolean(`${this.kind}.train`, "mode", mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Frees the module's memory; any later call throws. Disposing twice is allowed. */
  dispose(): void {
    this.workspace?.dispose();
    this.workspace = null;
    this.context = null;
  }

  /**
   * Normalizes x. A Float32Array (with its shape) gives a new Float32Array, or `out`
   * filled; a Tensor from tensor() gives a new Tensor in the same memory (dispose it when
   * done), with no copy. A Float32Array that is a view of the backend's memory (a
   * tensor's `.data`) is read in place, as a tensor is.
   */
  forward(x: Float32Array, shape: readonly number[], options?: ForwardOptions): Float32Array;
  forward(x: Tensor, shape?: readonly number[] | null, options?: ForwardOptions & { out?: null }): Tensor;
  forward(x: Float32Array | Tensor, shape?: readonly number[] | null, options?: ForwardOptions): Float32Array | Tensor {
    const where = this.at.forward;
    const ws = this.live(where);
    const input = resolveInput(where, "x", x, shape, ws.backend);
    let out: Out | null = null;
    if (options !== undefined) {
      checkOptionKeys(where, options, FORWARD_KEYS);
      out = resolveOut(where, "out", options.out, input, "x", ws.backend);
    }
    const { y, context } = this.runForward(ws, where, input, out);
    this.context = context;
    return y;
  }

  /**
   * Gradients for the last forward, in that forward's mode (with the statistics, weight and
   * bias it used). dx has dy's kind (Float32Array or Tensor); dweight / dbias are null when
   * the module has no such parameter.
   */
  backward(dy: Float32Array, options?: BackwardOptions): Gradients<Float32Array>;
  backward(dy: Tensor, options?: BackwardOptions & { dx?: null }): Gradients<Tensor>;
  backward(dy: Float32Array | Tensor, options?: BackwardOptions): Gradients<Float32Array | Tensor> {
    const where = this.at.backward;
    const { ws, context, input } = this.backwardInput(where, dy);
    let dx: Out | null = null;
    if (options !== undefined) {
      checkOptionKeys(where, options, BACKWARD_KEYS);
      dx = resolveOut(where, "dx", options.dx, input, "dy", ws.backend);
    }
    return this.runBackward(ws, where, context, input, dx);
  }

  /** The module's op on a checked input, y written to `out` when given; returns y and what its backward needs. @internal */
  protected abstract runForward(ws: Workspace, where: string, x: Input, out: Out | null): { y: Float32Array | Tensor; context: ForwardShape };
  /** The backward of `context`'s forward on a checked dy, dx written to `dx` when given. @internal */
  protected abstract runBackward(ws: Workspace, where: string, context: ForwardShape, dy: Input, dx: Out | null): Gradients<Float32Array | Tensor>;

  /** @internal */
  protected live(where: string): Workspace {
    if (this.workspace === null) fail(where, `the ${this.kind} module was disposed`);
    return this.workspace;
  }

  /** The checked dy of a backward and the forward it belongs to. @internal */
  protected backwardInput(where: string, dy: unknown): { ws: Workspace; context: ForwardShape; input: Input } {
    const ws = this.live(where);
    const context = this.context;
    if (context === null) fail(where, "there is no forward to differentiate: call forward first");
    if (dy instanceof Float32Array && dy.length !== context.size) {
      fail(where, `dy must have ${context.size} elements, the size of the last forward's x ${describe(context.shape)}, got length ${dy.length}`);
    }
    return { ws, context, input: resolveInput(where, "dy", dy, context.shape, ws.backend) };
  }

  /** What one value of a parameter array stands for, for messages ("one value per channel"). @internal */
  protected abstract readonly paramMeaning: string;

  /** A parameter-sized array: a Float32Array / Float64Array / number[] of length n. @internal */
  protected checkParam(where: string, name: string, value: unknown, n: number): ArrayLike<number> {
    return checkArray(where, name, value, n, this.paramMeaning);
  }

  /** The module's arrays under their state-dict keys (only the ones it has). @internal */
  protected abstract stateArrays(): Array<[key: keyof NormStateDict, array: Float32Array]>;
  /** num_batches_tracked, or null when the module has no such buffer. @internal */
  protected abstract get batchCounter(): number | null;
  /** @internal */
  protected abstract set batchCounter(value: number | null);

  /** Copies of the state under PyTorch's keys. */
  stateDict(): NormStateDict {
    this.live(`${this.kind}.stateDict`);
    const sd: Record<string, Float32Array | number> = {};
    for (const [key, array] of this.stateArrays()) sd[key] = array.slice();
    if (this.batchCounter !== null) sd.num_batches_tracked = this.batchCounter;
    return sd as NormStateDict;
  }

  /**
   * Loads a state dict (PyTorch's keys). strict (default): every key the module has must be
   * present and no other. Everything is checked before anything is written.
   */
  loadStateDict(stateDict: NormStateDict, options: { strict?: boolean } = {}): void {
    const where = `${this.kind}.loadStateDict`;
    this.live(where);
    checkOptionKeys(where, options, ["strict"]);
    const strict = checkBoolean(where, "strict", options.strict ?? true);
    if (typeof stateDict !== "object" || stateDict === null) fail(where, `stateDict must be an object, got ${describe(stateDict)}`);
    const arrays = this.stateArrays();
    const expected: string[] = arrays.map(([key]) => key);
    if (this.batchCounter !== null) expected.push("num_batches_tracked");
    const given = stateDict as Record<string, unknown>;
    if (strict) {
      const missing = expected.filter((k) => given[k] === undefined);
      const unexpected = Object.keys(given).filter((k) => !expected.includes(k));
      if (missing.length > 0 || unexpected.length > 0) {
        fail(where, `state dict keys do not match: missing [${missing.join(", ")}], unexpected [${unexpected.join(", ")}]`);
      }
    }
    const writes: Array<[Float32Array, ArrayLike<number>]> = [];
    for (const [key, target] of arrays) {
      if (given[key] !== undefined) writes.push([target, this.checkParam(where, `stateDict.${key}`, given[key], target.length)]);
    }
    let batches = this.batchCounter;
    const nbt = given.num_batches_tracked;
    if (batches !== null && nbt !== undefined) {
      const n = typeof nbt === "bigint" ? Number(nbt) : nbt;
      if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
        fail(where, `stateDict.num_batches_tracked must be a non-negative integer, got ${describe(nbt)}`);
      }
      batches = n;
    }
    for (const [target, values] of writes) target.set(values);
    this.batchCounter = batches;
  }
}
