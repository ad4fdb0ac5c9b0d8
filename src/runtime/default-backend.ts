// The backend modules, ops and tensors use when none is given: created on first use (SIMD
// where supported), replaceable, e.g. to force the scalar build everywhere.

import type { Backend, KernelBackend } from "./backend.js";
import { fail } from "./checks.js";
import { createKernelBackend } from "./wasm-backend.js";

let current: KernelBackend | undefined;

export function getDefaultBackend(): Backend {
  return defaultBackend();
}

function defaultBackend(): KernelBackend {
  return (current ??= createKernelBackend());
}

/** Makes `backend` the default for modules, functional calls and tensors created after this. */
export function setDefaultBackend(backend: Backend): void {
  current = backendOption("setDefaultBackend", backend, "backend", false);
}

function isBackend(value: unknown): value is KernelBackend {
  return typeof value === "object" && value !== null && typeof (value as KernelBackend).alloc === "function" &&
    typeof (value as KernelBackend).batchNormTrainForward === "function";
}

/**
 * The one check of a backend argument: `value`, or the default backend when it is absent
 * (and `orDefault`); anything else is refused with an Error naming `where` and `name`.
 * @internal
 */
export function backendOption(where: string, value: unknown, name = "backend", orDefault = true): KernelBackend {
  const backend = value ?? (orDefault ? defaultBackend() : value);
  if (!isBackend(backend)) fail(where, `${name} must come from createBackend() or createReferenceBackend()`);
  return backend;
}
