// The wrapper's own cost (target 5): a backend with the real backend's memory and allocator
// whose numeric methods do nothing. A module on it runs every argument check, staging
// decision, allocation and dispatch it runs on the real backend, and nothing else, so one
// call's time is the wrapper's share of a real call. (Subtracting a raw-kernel timing from a
// module timing instead leaves the difference of two noisy numbers as large as the kernels.)
import type { Backend } from "../../src/runtime/backend.js";

/** What a wrapper-only backend keeps from the real one: memory, nothing that computes. */
const KEPT: ReadonlySet<PropertyKey> = new Set(["kind", "alloc", "memoryStats", "viewRegion"]);

export function wrapperOnly(real: Backend): Backend {
  const doNothing = () => {};
  return new Proxy(real, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (typeof value !== "function") return value;
      return KEPT.has(key) ? value.bind(target) : doNothing;
    },
  });
}
