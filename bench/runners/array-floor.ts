// The Float32Array path's floor (issue 13, target 1): the copies between the caller's arrays
// and the backend's memory that a module or functional call on plain arrays cannot avoid,
// timed on their own. Per call, each input tensor is copied into a region of the backend
// (x; dy in a backward; a second input of a two-input workload) and each output copied out,
// into an existing array (`array-floor`: what a call with `out` adds to the zero-copy call)
// or into a new Float32Array (`array-alloc-floor`: what the default call, which returns a
// new array, adds). Training forward + backward is two calls.
import type { Backend } from "../../src/runtime/backend.js";
import type { Case, OpName, Pace, Prepared, Workload } from "../case.js";
import type { Inputs } from "../data.js";
import { floorSources } from "./copy-floor.js";

export function prepareArrayFloor(backend: Backend, w: Workload, inputs: Inputs, op: OpName, alloc: boolean): Prepared {
  const n = w.elements;
  // The sources of each call, in order: the forward's (x, and the residual), then the backward's dy.
  const forward = floorSources(w, inputs);
  const calls = op === "trainBackward" ? [forward, [inputs.dy]] : [forward];
  // Copies in go to one region per input, copies out come from regions of their own (as y is
  // not x's region), so neither copy finds the other's bytes in cache. The output regions
  // hold each call's inputs, so what comes out can be checked.
  const staging = forward.map(() => backend.alloc(n * 4));
  const results = calls.map((sources) => sources.map((s) => {
    const r = backend.alloc(n * 4);
    r.f32().set(s);
    return r;
  }));
  // The caller's arrays of each call's outputs (y, dx, ...), made once.
  const outs = calls.map((sources) => sources.map(() => new Float32Array(n)));
  let last: Float32Array[] = [];
  const run = () => {
    last = [];
    for (let c = 0; c < calls.length; c++) {
      const sources = calls[c];
      sources.forEach((s, i) => staging[i].f32().set(s));
      sources.forEach((_, i) => {
        const target = alloc ? new Float32Array(n) : outs[c][i];
        target.set(results[c][i].f32().subarray(0, n));
        last.push(target);
      });
    }
  };
  return {
    run,
    outputs: () => {
      run();
      const copied = new Float32Array(last.length * n);
      last.forEach((a, i) => copied.set(a, i * n));
      return { copied };
    },
    dispose: () => [...staging, ...results.flat()].forEach((r) => r.free()),
  };
}

/**
 * The floor row of one array path, made by the family's own row maker. Families measure it
 * right after that path's row: allocating fresh arrays costs what the allocator's state
 * makes it (page faults on new memory, or memory the last frees left), so the two rows
 * are measured under the same state.
 */
export function arrayFloorRow(
  backend: Backend, w: Workload, op: OpName, alloc: boolean,
  row: (w: Workload, op: OpName, impl: string, pace: Pace, prepare: (inputs: Inputs) => Prepared) => Case,
): Case {
  return row(w, op, alloc ? "array-alloc-floor" : "array-floor", "fast", (inputs) => prepareArrayFloor(backend, w, inputs, op, alloc));
}
