// Deterministic inputs: every implementation of a workload sees the same numbers.
import type { Workload } from "./case.js";
import { channelsOf } from "./workloads.js";

export interface Inputs {
  readonly x: Float32Array;
  readonly dy: Float32Array;
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly runningMean: Float32Array;
  readonly runningVar: Float32Array;
  readonly eps: number;
}

/** A small xorshift generator: fast enough for 25M values, and the same everywhere. */
function generator(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** Uniform in [lo, hi). */
function fill(n: number, rand: () => number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

const cache = new Map<string, Inputs>();

/** Inputs of a workload; the last one asked for is kept, so one group reuses it. */
export function inputsFor(w: Workload): Inputs {
  const hit = cache.get(w.label);
  if (hit) return hit;
  cache.clear();
  const rand = generator(0x9e3779b9 ^ w.elements);
  const C = channelsOf(w);
  const inputs: Inputs = {
    x: fill(w.elements, rand, -1.5, 2.5),
    dy: fill(w.elements, rand, -1, 1),
    weight: fill(C, rand, 0.5, 1.5),
    bias: fill(C, rand, -0.5, 0.5),
    runningMean: fill(C, rand, 0, 1),
    runningVar: fill(C, rand, 0.5, 2),
    eps: 1e-5,
  };
  cache.set(w.label, inputs);
  return inputs;
}
