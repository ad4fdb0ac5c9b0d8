// The backend modules and tensors use when none is given: created on first use (SIMD where
// supported), replaceable, e.g. to force the scalar build everywhere.

import type { Backend } from "./backend.js";
import { createBackend } from "./wasm-backend.js";

let current: Backend | undefined;

export function getDefaultBackend(): Backend {
  return (current ??= createBackend());
}

/** Makes `backend` the default for modules, functional calls and tensors created after this. */
export function setDefaultBackend(backend: Backend): void {
  if (!isBackend(backend)) throw new Error("setDefaultBackend: backend must come from createBackend() or createReferenceBackend()");
  current = backend;
}

export function isBackend(value: unknown): value is Backend {
  return typeof value === "object" && value !== null && typeof (value as Backend).alloc === "function" &&
    typeof (value as Backend).trainForward === "function";
}
