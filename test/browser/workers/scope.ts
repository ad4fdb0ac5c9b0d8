// What a worker can tell about its own scope, for the suites to assert it really ran in one.

/** A worker scope: no window, and importScripts exists (it does in module workers too). */
export function isWorkerScope(): boolean {
  return typeof window === "undefined" && typeof (self as { importScripts?: unknown }).importScripts === "function";
}

/** importScripts() with no arguments is a no-op in a classic worker and throws in a module worker. */
export function isModuleWorker(): boolean {
  try {
    (self as unknown as { importScripts(): void }).importScripts();
    return false;
  } catch {
    return true;
  }
}
