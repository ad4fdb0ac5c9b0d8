// The backend modules, ops and tensors use when none is given: created on first use (SIMD
// where supported), replaceable, e.g. to force the scalar build everywhere.

import type { Backend } from "./backend.js";
import { fail } from "./checks.js";
import { createBackend } from "./wasm-backend.js";

let current: Backend | undefined;

export function getDefaultBackend(): Backend {
  return (current ??= createBackend());
}

/** Makes `backend` the default for modules, functional calls and tensors created after this. */
export function setDefaultBackend(backend: Backend): void {
  current = backendOption("setDefaultBackend", backend, "backend", false);
}

function isBackend(value: unknown): value is Backend {
  return typeof value === "object" && value !== null && typeof (value as Backend).alloc === "function" &&
    typeof (value as Backend).batchNormTrainForward === "function";
}

/**
 * The one check of a backend argument: `value`, or the default backend when it is absent
 * (and `orDefault`); anything else is refused with an Error naming `where` and `name`.
 */
export function backendOption(where: string, value: unknown, name = "backend", orDefault = true): Backend {
  const backend = value ?? (orDefault ? getDefaultBackend() : value);
  if (!isBackend(backend)) fail(where, `${name} must come from createBackend() or createReferenceBackend()`);
  return backend;
}
