// The backends every shared test body runs against: the SIMD build, the scalar build and
// the pure-JS reference. Each body gets a factory so it can make fresh instances.
import { createBackend, createReferenceBackend, simdSupported, type Backend } from "../../src/index.js";

export interface BackendCase {
  readonly name: "simd" | "scalar" | "reference";
  readonly make: () => Backend;
}

export const BACKENDS: readonly BackendCase[] = [
  { name: "simd", make: () => createBackend({ simd: true }) },
  { name: "scalar", make: () => createBackend({ simd: false }) },
  { name: "reference", make: () => createReferenceBackend() },
];

/** Fails loudly where the engine lacks SIMD, instead of silently testing scalar twice. */
export function assertSimdAvailable(): void {
  if (!simdSupported()) throw new Error("this engine does not validate the SIMD build; the simd suite cannot run here");
}
