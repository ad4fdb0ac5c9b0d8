// What a worker can tell about its own scope, for the suites to assert it really ran in one.

/** A worker scope: no window, and the global object is a WorkerGlobalScope. */
export function isWorkerScope(): boolean {
  const scope = (globalThis as { WorkerGlobalScope?: abstract new () => unknown }).WorkerGlobalScope;
  return typeof window === "undefined" && scope !== undefined && self instanceof scope;
}

/** importScripts of an empty script runs it in a classic worker and throws in a module worker.
 *  (With no argument it would prove nothing in Firefox, whose module workers return early.) */
export function isModuleWorker(): boolean {
  try {
    (self as unknown as { importScripts(url: string): void }).importScripts("data:text/javascript,");
    return false;
  } catch {
    return true;
  }
}
