// The floor: one wasm memory.copy of x's bytes between two regions of a memory of the
// bench's own (bench/wasm/copy.ts), not the backend's. A training forward reads x and
// writes y, so it cannot beat this. A workload of two input tensors (the residual add +
// norm ops read x and a residual, and write y and sum) copies both: x, then dy.
import type { Prepared, Workload } from "../case.js";
import type { Inputs } from "../data.js";
import { copyFloor } from "../wasm/copy.js";

export function prepareCopyFloor(w: Workload, inputs: Inputs): Prepared {
  const sources = floorSources(w, inputs);
  const n = sources.length * w.elements;
  let floor: ReturnType<typeof copyFloor> | null = copyFloor(n * 4);
  const live = () => {
    if (!floor) throw new Error("bench: copy floor used after dispose");
    return floor;
  };
  sources.forEach((s, i) => new Float32Array(floor!.memory.buffer, floor!.src + i * w.elements * 4, w.elements).set(s));
  new Float32Array(floor.memory.buffer, floor.dst, n).fill(0);
  return {
    run: () => live().copy(),
    outputs: () => {
      const f = live();
      f.copy();
      return { copied: new Float32Array(f.memory.buffer, f.dst, n).slice() };
    },
    dispose: () => {
      floor = null;
    },
  };
}

/** What the floor copies, in order: x, and dy as the second tensor of a two-input workload. */
export function floorSources(w: Workload, inputs: Inputs): Float32Array[] {
  return [inputs.x, inputs.dy].slice(0, w.tensors ?? 1);
}
