// The module Web Worker of the browser consumer: imports the package itself.
import * as lib from "batchnorm-wasm";
import fixture from "../fixture.json";
import { compute } from "../compute.js";

// importScripts() with no arguments is a no-op in a classic worker and throws in a module worker.
function isModuleWorker() {
  try {
    importScripts();
    return false;
  } catch {
    return true;
  }
}

try {
  postMessage({ isWorker: typeof window === "undefined", moduleWorker: isModuleWorker(), ...compute(lib, fixture.cases) });
} catch (error) {
  postMessage({ error: String(error && error.stack ? error.stack : error) });
}
