// The memory one module (or one functional call) works in: per-channel parameters and
// statistics, and staging areas that plain Float32Arrays are copied through. Every
// allocation of a call happens up front and all-or-nothing, so a RangeError leaves the
// module exactly as it was.

import type { Backend, ChannelBuffers, Region } from "./backend.js";

export type Stage = "x" | "y" | "dy" | "dx";

/** Allocates every size or none: on failure the ones already made are freed again. */
export function allocateAll(backend: Backend, sizes: readonly number[]): Region[] {
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
  readonly ch: ChannelBuffers;
  /** f32 C each: copies of the module's parameters and running statistics for the kernels. */
  readonly weight: Region;
  readonly bias: Region;
  readonly runMean: Region;
  readonly runVar: Region;
  /** f32 C each: gradient outputs. */
  readonly dweight: Region;
  readonly dbias: Region;
  private readonly stages = new Map<Stage, Region>();
  private readonly owned: Region[];

  constructor(readonly backend: Backend, readonly C: number) {
    const f64 = 8 * C, f32 = 4 * C;
    this.owned = allocateAll(backend, [f64, f64, f64, f64, f64, 7 * f32, 3 * f32 + f64, f32, f32, f32, f32, f32, f32]);
    const [mean, variance, invstd, sumDy, sumDyXmu, coef, scratch, weight, bias, runMean, runVar, dweight, dbias] = this.owned;
    this.ch = { mean, var: variance, invstd, sumDy, sumDyXmu, coef, scratch };
    this.weight = weight;
    this.bias = bias;
    this.runMean = runMean;
    this.runVar = runVar;
    this.dweight = dweight;
    this.dbias = dbias;
  }

  /**
   * Staging regions of at least the given sizes (reused when large enough) plus `extra`
   * fresh regions (a caller's output tensors), all allocated before anything is replaced.
   */
  prepare(stages: ReadonlyArray<readonly [Stage, number]>, extra: readonly number[] = []): { staged: Region[]; fresh: Region[] } {
    const grow = stages.filter(([name, bytes]) => (this.stages.get(name)?.byteLength ?? -1) < bytes);
    const made = allocateAll(this.backend, [...grow.map(([, bytes]) => bytes), ...extra]);
    grow.forEach(([name], i) => {
      this.stages.get(name)?.free();
      this.stages.set(name, made[i]);
    });
    return { staged: stages.map(([name]) => this.stages.get(name)!), fresh: made.slice(grow.length) };
  }

  dispose(): void {
    for (const region of this.owned) region.free();
    for (const region of this.stages.values()) region.free();
    this.stages.clear();
  }
}
