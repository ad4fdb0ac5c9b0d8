// The module Web Worker of the browser consumer: imports the package itself.
import * as lib from "batchnorm-wasm";
import fixture from "../fixture.json";
import { compute } from "../compute.js";

// importScripts of an empty script runs it in a classic worker and throws in a module worker
// (with no argument, Firefox's module workers return early instead of throwing).
function isModuleWorker() {
  try {
    importScripts("data:text/javascript,");
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
