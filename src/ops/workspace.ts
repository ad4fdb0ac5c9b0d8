// The memory a module (or one functional call) works in, and the one way an op stages a
// call: named regions that grow with the input and are reused between calls, the call's
// argument block, inputs used in place (tensors) or copied in (arrays), and outputs of
// the caller's kind. Every allocation of a call happens up front and all-or-nothing, so a
// RangeError leaves the module exactly as it was.

import type { KernelBackend, Region } from "../runtime/backend.js";
import { Block, blockBytes } from "../runtime/block.js";
import { wrapRegion, type Gradients, type Tensor } from "../runtime/tensor.js";

export type { Gradients };
import type { Input, Out } from "./shapes.js";

/** What every forward op is asked: normalize x, then scale and shift by weight / bias where given. */
export interface ForwardRequest {
  /** The call, for messages. */
  readonly where: string;
  readonly x: Input;
  readonly eps: number;
  readonly weight: ArrayLike<number> | null;
  readonly bias: ArrayLike<number> | null;
  /** The caller's array y is written to (the `out` option), or null for an output of x's kind. */
  readonly out?: Out | null;
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
/**
 * [name of its staging region, the input whose kind (array or tensor) and shape the output
 * takes, the caller's array it is written to instead (the `out` option)].
 */
export type StagedOutput = readonly [name: string, like: Input, out?: Out | null];

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
  /**
   * Output i for the caller: its `out` (written in place, or copied into from staging), a
   * Tensor around its fresh region, or a new Float32Array copied out of staging.
   */
  result(i: number): Float32Array | Tensor;
}

/**
 * The staging region of every call's main output (a forward's y, a backward's dx): one
 * region, since each is copied out (or wrapped) before the next call, so the array path of
 * a forward and its backward works in x, dy and one output (a smaller working set, and a
 * dx written where y's bytes are already mapped).
 */
export const OUT = "out";

const isRegion = (o: Operand): o is Region => typeof (o as Region).f32 === "function";

/** Whether two regions share bytes (the reference backend's regions are separate buffers, so compare views). */
function overlaps(a: Region, b: Region): boolean {
  const u = a.f32(), v = b.f32();
  return u.buffer === v.buffer && u.byteOffset < v.byteOffset + v.byteLength && v.byteOffset < u.byteOffset + u.byteLength;
}

/**
 * Whether output `out` can be written in place: it is a view of the memory and shares no
 * byte with an input read in place (a tensor: the kernels read their inputs after writing
 * some output) nor with an earlier in-place output. Otherwise it goes through staging.
 */
function inPlace(out: Out | null | undefined, inputs: readonly (Region | null)[], earlier: readonly (Region | null)[]): out is Out & { view: Region } {
  if (!out?.view) return false;
  for (const r of inputs) if (r !== null && overlaps(r, out.view)) return false;
  for (const r of earlier) if (r !== null && overlaps(r, out.view)) return false;
  return true;
}

/** Whether a view input shares bytes with an output's view. */
function overlapsAnyOut(input: Region, outputs: readonly StagedOutput[]): boolean {
  for (let i = 0; i < outputs.length; i++) {
    const view = outputs[i][2]?.view;
    if (view && overlaps(view, input)) return true;
  }
  return false;
}

/** An output becomes a fresh region (a Tensor for the caller) when it takes a tensor's kind and has no `out`. */
const isFresh = (o: StagedOutput) => o[1].tensor !== null && !o[2];

const NONE: readonly never[] = [];
const NO_REGIONS: Region[] = [];

class StagedCall implements Staged {
  constructor(
    private readonly backend: KernelBackend, readonly block: Block, readonly inputs: Region[], readonly outputs: Region[],
    readonly work: Region[], private readonly like: readonly StagedOutput[],
  ) {}

  result(i: number): Float32Array | Tensor {
    const like = this.like[i][1], out = this.like[i][2];
    const region = this.outputs[i];
    if (out) {
      // In place: the view itself (a new one at the same place if growth detached it).
      if (region === out.view) return region.f32();
      const target = out.view ? out.view.f32() : out.array;
      target.set(region.f32().subarray(0, like.size));
      return target;
    }
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
   * a view of the memory as it is; an array copied into its named region) and every output
   * (its `out` when that is a view it can write in place, else a fresh region when its
   * `like` is a tensor and there is no `out`, else its named region). A named region is
   * kept when large enough and replaced otherwise; nothing is replaced unless everything
   * could be allocated.
   */
  stage(where: string, request: StageRequest): Staged {
    const { inputs = NONE, outputs = NONE, work = NONE } = request;
    const [K, P, scratch] = request.block;
    // Disposed tensors are refused before anything is allocated. Plain loops: this runs on
    // every call, and small calls are measured in microseconds.
    const regions: (Region | null)[] = [];
    for (const [, o, role] of inputs) regions.push(isRegion(o) ? o : o.tensor ? o.tensor.regionFor(where, role) : o.view ?? null);
    // A view input that an `out` overlaps (forward(v, shape, { out: v })) is copied in like
    // a plain array: the out is then written in place, and the staged copy is the x a
    // module's backward reads.
    for (let i = 0; i < inputs.length; i++) {
      const o = inputs[i][1];
      if (regions[i] !== null && !isRegion(o) && o.tensor === null && overlapsAnyOut(regions[i]!, outputs)) regions[i] = null;
    }
    // Per output: the caller's view it is written to in place, else null (staged: a fresh
    // region when it becomes a Tensor for the caller, like a tensor and no `out`; else named).
    const direct: (Region | null)[] = [];
    for (let i = 0; i < outputs.length; i++) direct.push(inPlace(outputs[i][2], regions, direct) ? outputs[i][2]!.view : null);
    const names: string[] = [], sizes: number[] = [];
    this.need(names, sizes, "block", blockBytes(K, P, scratch));
    for (const [name, bytes] of work) this.need(names, sizes, name, bytes);
    for (let i = 0; i < inputs.length; i++) {
      if (regions[i] === null) this.need(names, sizes, inputs[i][0], (inputs[i][1] as Input).size * 4);
    }
    let fresh = 0;
    for (let i = 0; i < outputs.length; i++) {
      if (direct[i] === null && !isFresh(outputs[i])) this.need(names, sizes, outputs[i][0], outputs[i][1].size * 4);
    }
    for (let i = 0; i < outputs.length; i++) {
      if (direct[i] === null && isFresh(outputs[i])) {
        sizes.push(outputs[i][1].size * 4);
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
      const input = inputs[i][1] as Input;
      // A view's own array may have been detached by the allocations above: view.f32() is current.
      region.f32().set(input.view ? input.view.f32() : input.array!);
      regions[i] = region;
    }
    // The fresh output regions come after the named ones in `made`.
    let next = made.length - fresh;
    const outputRegions: Region[] = [];
    for (let i = 0; i < outputs.length; i++) {
      outputRegions.push(direct[i] ?? (isFresh(outputs[i]) ? made[next++] : this.named.get(outputs[i][0])!));
    }
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
