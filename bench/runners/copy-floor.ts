// The floor: wasm memory.copy of x's bytes between two regions of the backend's memory. A
// training forward reads x and writes y, so it cannot beat this.
import type { Backend } from "../../src/runtime/backend.js";
import type { Prepared, Workload } from "../case.js";
import type { Inputs } from "../data.js";

export function prepareCopyFloor(backend: Backend, w: Workload, inputs: Inputs): Prepared {
  const bytes = w.elements * 4;
  const src = backend.alloc(bytes);
  const dst = backend.alloc(bytes);
  src.f32().set(inputs.x);
  dst.f32().fill(0);
  return {
    run: () => dst.f32().set(src.f32()),
    outputs: () => {
      dst.f32().set(src.f32());
      return { copied: dst.f32().slice(0, w.elements) };
    },
    dispose: () => {
      src.free();
      dst.free();
    },
  };
}
