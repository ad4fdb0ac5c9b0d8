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
  /** Frees the outputs' fresh regions of a call that failed after staging. */
  abandon(): void;
}

const isRegion = (o: Operand): o is Region => typeof (o as Region).f32 === "function";

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

  constructor(readonly backend: KernelBackend) {}

  /**
   * Stages one call: the block, every input (a tensor's own region, checked not disposed;
   * an array copied into its named region) and every output (a fresh region when its
   * `like` is a tensor, else its named region). A named region is kept when large enough
   * and replaced otherwise; nothing is replaced unless everything could be allocated.
   */
  stage(where: string, request: StageRequest): Staged {
    const { inputs = [], outputs = [], work = [] } = request;
    const [K, P, scratch] = request.block;
    // Disposed tensors are refused before anything is allocated.
    const held = inputs.map(([, o, role]) => (isRegion(o) ? o : o.tensor ? o.tensor.regionFor(where, role) : null));
    const needs: Array<readonly [string, number]> = [["block", blockBytes(K, P, scratch)], ...work];
    inputs.forEach(([name, o], i) => {
      if (held[i] === null) needs.push([name, (o as Input).size * 4]);
    });
    const fresh: number[] = [];
    for (const [name, like] of outputs) {
      if (like.tensor) fresh.push(like.size * 4);
      else needs.push([name, like.size * 4]);
    }
    const grow = needs.filter(([name, bytes]) => (this.named.get(name)?.byteLength ?? -1) < bytes);
    const made = allocateAll(this.backend, [...grow.map(([, bytes]) => bytes), ...fresh]);
    grow.forEach(([name], i) => {
      this.named.get(name)?.free();
      this.named.set(name, made[i]);
    });
    const freshRegions = made.slice(grow.length);
    const inputRegions = inputs.map(([name, o], i) => {
      const region = held[i] ?? this.named.get(name)!;
      if (held[i] === null) region.f32().set((o as Input).array!);
      return region;
    });
    let next = 0;
    const outputRegions = outputs.map(([name, like]) => (like.tensor ? freshRegions[next++] : this.named.get(name)!));
    const backend = this.backend;
    return {
      block: new Block(this.named.get("block")!, K, P),
      inputs: inputRegions,
      outputs: outputRegions,
      work: work.map(([name]) => this.named.get(name)!),
      result(i) {
        const like = outputs[i][1];
        const region = outputRegions[i];
        return like.tensor ? wrapRegion(backend, like.shape, like.size, region) : region.f32().slice(0, like.size);
      },
      abandon() {
        for (const region of freshRegions) region.free();
      },
    };
  }

  dispose(): void {
    for (const region of this.named.values()) region.free();
    this.named.clear();
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
