// The floor: one wasm memory.copy of x's bytes between two regions of a memory of the
// bench's own (bench/wasm/copy.ts), not the backend's. A training forward reads x and
// writes y, so it cannot beat this.
import type { Prepared, Workload } from "../case.js";
import type { Inputs } from "../data.js";
import { copyFloor } from "../wasm/copy.js";

export function prepareCopyFloor(w: Workload, inputs: Inputs): Prepared {
  let floor: ReturnType<typeof copyFloor> | null = copyFloor(w.elements * 4);
  const live = () => {
    if (!floor) throw new Error("bench: copy floor used after dispose");
    return floor;
  };
  new Float32Array(floor.memory.buffer, floor.src, w.elements).set(inputs.x);
  new Float32Array(floor.memory.buffer, floor.dst, w.elements).fill(0);
  return {
    run: () => live().copy(),
    outputs: () => {
      const f = live();
      f.copy();
      return { copied: new Float32Array(f.memory.buffer, f.dst, w.elements).slice() };
    },
    dispose: () => {
      floor = null;
    },
  };
}
