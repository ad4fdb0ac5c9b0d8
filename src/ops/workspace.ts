// The memory a module (or one functional call) works in, and the one way an op stages a
// call: named regions that grow with the input and are reused between calls, the call's
// argument block, inputs used in place (tensors) or copied in (arrays), and outputs of
// the caller's kind. Every allocation of a call happens up front and all-or-nothing, so a
// RangeError leaves the module exactly as it was.

import type { KernelBackend, Region } from "../runtime/backend.js";
import { Block, blockBytes } from "../runtime/block.js";
import { wrapRegion, type Gradients, type Tensor } from "../runtime/tensor.js";

export type { Gradients };
import type { Input } from "./shapes.js";

/** What every forward op is asked: normalize x, then scale and shift by weight / bias where given. */
export interface ForwardRequest {
  /** The call, for messages. */
  readonly where: string;
  readonly x: Input;
  readonly eps: number;
  readonly weight: ArrayLike<number> | null;
  readonly bias: ArrayLike<number> | null;
}

/** What every backward op needs of its forward's input: where x now is, and its shape. */
export interface KeptInput {
  readonly x: Operand;
  readonly shape: readonly number[];
  readonly size: number;
}

/** Data a call reads: a caller's input, or a region that already holds it (a module's staged x of the forward). */
export type Operand = Input | Region;

/** [name of its staging region, the operand, its role in messages ("x of the forward")]. */
export type StagedInput = readonly [name: string, operand: Operand, role?: string];
/** [name of its staging region, the input whose kind (array or tensor) and shape the output takes]. */
export type StagedOutput = readonly [name: string, like: Input];

export interface StageRequest {
  /** The argument block: K statistics, P parameters, scratch bytes (see runtime/block.ts). */
  readonly block: readonly [K: number, P: number, scratch: number];
  readonly inputs?: readonly StagedInput[];
  readonly outputs?: readonly StagedOutput[];
  /** Named work regions of the op itself: [name, bytes] (e.g. a recomputed forward's output). */
  readonly work?: ReadonlyArray<readonly [name: string, bytes: number]>;
}

export interface Staged {
  readonly block: Block;
  /** The regions holding the inputs, in request order. */
  readonly inputs: Region[];
  /** The regions the outputs are written to, in request order. */
  readonly outputs: Region[];
  readonly work: Region[];
  /** Output i for the caller: a Tensor around its fresh region, or a Float32Array copied out of staging. */
  result(i: number): Float32Array | Tensor;
}

const isRegion = (o: Operand): o is Region => typeof (o as Region).f32 === "function";
const NONE: readonly never[] = [];
const NO_REGIONS: Region[] = [];

class StagedCall implements Staged {
  constructor(
    private readonly backend: KernelBackend, readonly block: Block, readonly inputs: Region[], readonly outputs: Region[],
    readonly work: Region[], private readonly like: readonly StagedOutput[],
  ) {}

  result(i: number): Float32Array | Tensor {
    const like = this.like[i][1];
    const region = this.outputs[i];
    return like.tensor ? wrapRegion(this.backend, like.shape, like.size, region) : region.f32().slice(0, like.size);
  }
}

/** Allocates every size or none: on failure the ones already made are freed again. */
function allocateAll(backend: KernelBackend, sizes: readonly number[]): Region[] {
  const made: Region[] = [];
  try {
    for (const bytes of sizes) made.push(backend.alloc(bytes));
  } catch (error) {
    for (const region of made) region.free();
    throw error;
  }
  return made;
}

export class Workspace {
  private readonly named = new Map<string, Region>();
  /** The block of the last call, reused while its region and sizes stay (its views are cached). */
  private block: Block | null = null;

  constructor(readonly backend: KernelBackend) {}

  /**
   * Stages one call: the block, every input (a tensor's own region, checked not disposed;
   * an array copied into its named region) and every output (a fresh region when its
   * `like` is a tensor, else its named region). A named region is kept when large enough
   * and replaced otherwise; nothing is replaced unless everything could be allocated.
   */
  stage(where: string, request: StageRequest): Staged {
    const { inputs = NONE, outputs = NONE, work = NONE } = request;
    const [K, P, scratch] = request.block;
    // Disposed tensors are refused before anything is allocated. Plain loops: this runs on
    // every call, and small calls are measured in microseconds.
    const regions: (Region | null)[] = [];
    for (const [, o, role] of inputs) regions.push(isRegion(o) ? o : o.tensor ? o.tensor.regionFor(where, role) : null);
    const names: string[] = [], sizes: number[] = [];
    this.need(names, sizes, "block", blockBytes(K, P, scratch));
    for (const [name, bytes] of work) this.need(names, sizes, name, bytes);
    for (let i = 0; i < inputs.length; i++) {
      if (regions[i] === null) this.need(names, sizes, inputs[i][0], (inputs[i][1] as Input).size * 4);
    }
    let fresh = 0;
    for (const [name, like] of outputs) if (!like.tensor) this.need(names, sizes, name, like.size * 4);
    for (const [, like] of outputs) {
      if (like.tensor) {
        sizes.push(like.size * 4);
        fresh++;
      }
    }
    const made = sizes.length > 0 ? allocateAll(this.backend, sizes) : NO_REGIONS;
    for (let i = 0; i < names.length; i++) {
      this.named.get(names[i])?.free();
      this.named.set(names[i], made[i]);
    }
    for (let i = 0; i < inputs.length; i++) {
      if (regions[i] !== null) continue;
      const region = this.named.get(inputs[i][0])!;
      region.f32().set((inputs[i][1] as Input).array!);
      regions[i] = region;
    }
    // The fresh output regions come after the named ones in `made`.
    let next = made.length - fresh;
    const outputRegions: Region[] = [];
    for (const [name, like] of outputs) outputRegions.push(like.tensor ? made[next++] : this.named.get(name)!);
    const region = this.named.get("block")!;
    const b = this.block;
    const block = b !== null && b.region === region && b.K === K && b.P === P ? b : (this.block = new Block(region, K, P));
    const workRegions = work.length === 0 ? NO_REGIONS : work.map(([name]) => this.named.get(name)!);
    return new StagedCall(this.backend, block, regions as Region[], outputRegions, workRegions, outputs);
  }

  /** Notes the named region `name` for replacement if it is smaller than `bytes`. */
  private need(names: string[], sizes: number[], name: string, bytes: number): void {
    if ((this.named.get(name)?.byteLength ?? -1) < bytes) {
      names.push(name);
      sizes.push(bytes);
    }
  }

  dispose(): void {
    for (const region of this.named.values()) region.free();
    this.named.clear();
    this.block = null;
  }
}

/**
 * Runs `call` in a workspace of its own, freed before returning: the functional ops, which
 * keep nothing between calls.
 */
export function withWorkspace<T>(backend: KernelBackend, call: (ws: Workspace) => T): T {
  const ws = new Workspace(backend);
  try {
    return call(ws);
  } finally {
    ws.dispose();
  }
}
