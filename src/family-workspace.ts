// The memory a family module (or one functional call) works in: named regions that grow
// with the input (per-row statistics, staging for plain Float32Arrays, parameters, scratch)
// and are reused between calls. Every allocation of a call happens up front and
// all-or-nothing, so a RangeError leaves the module exactly as it was.

import type { Backend, Region } from "./backend.js";
import { allocateAll } from "./workspace.js";

export type Need = readonly [name: string, bytes: number];

export class FamilyWorkspace {
  private readonly named = new Map<string, Region>();

  constructor(readonly backend: Backend) {}

  /**
   * Regions of at least the given sizes under these names (kept when large enough, else
   * replaced) plus `extra` fresh regions (a caller's output tensors). Nothing is replaced
   * unless everything could be allocated.
   */
  prepare(needs: readonly Need[], extra: readonly number[] = []): { regions: Region[]; fresh: Region[] } {
    const grow = needs.filter(([name, bytes], i) =>
      (this.named.get(name)?.byteLength ?? -1) < bytes && needs.findIndex(([other]) => other === name) === i);
    const made = allocateAll(this.backend, [...grow.map(([, bytes]) => bytes), ...extra]);
    grow.forEach(([name], i) => {
      this.named.get(name)?.free();
      this.named.set(name, made[i]);
    });
    return { regions: needs.map(([name]) => this.named.get(name)!), fresh: made.slice(grow.length) };
  }

  /** The region under `name` (it must have been prepared). */
  get(name: string): Region {
    const region = this.named.get(name);
    if (region === undefined) throw new Error(`batchnorm-wasm: internal error: no region named ${name}`);
    return region;
  }

  dispose(): void {
    for (const region of this.named.values()) region.free();
    this.named.clear();
  }
}

/** Copies values into a region and returns it, or null for null values. */
export function loadInto(region: Region, values: ArrayLike<number> | null): Region | null {
  if (values === null) return null;
  region.f32().set(values);
  return region;
}
