// TensorFlow.js in the tests: the wasm backend single-threaded with its binaries from
// node_modules, switching backends, and a backend of ours that counts its kernel calls.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfWasm from "@tensorflow/tfjs-backend-wasm";
import { createBackend, type Backend } from "../../src/index.js";

let wasmPathsSet = false;

/** Switches TF.js to `name` ("cpu" or "wasm", the latter single-threaded with its binaries from node_modules). */
export async function useTfBackend(name: string): Promise<void> {
  if (!wasmPathsSet) {
    const wasmFile = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm");
    tfWasm.setWasmPaths(`${dirname(wasmFile)}/`);
    tfWasm.setThreadsCount(1);
    wasmPathsSet = true;
  }
  if (tf.getBackend() === name) return;
  if (!(await tf.setBackend(name))) throw new Error(`TF.js backend ${name} failed to initialize`);
  await tf.ready();
  // The cpu backend greets Node users on first use, advertising tfjs-node: not in tests.
  if (name === "cpu") (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
}

/** A backend of this package that counts the calls of the named kernels: proof that our kernels ran. */
export function countingBackend(...kernels: string[]): { backend: Backend; calls: () => number } {
  const inner = createBackend();
  let calls = 0;
  const backend = new Proxy(inner, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (typeof key === "string" && kernels.includes(key)) {
        return (...args: unknown[]) => (calls++, (value as (...a: unknown[]) => void).apply(target, args));
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { backend, calls: () => calls };
}
