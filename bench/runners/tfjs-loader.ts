// Loads TensorFlow.js 4.22 once: core, the cpu backend, the wasm backend forced to one
// thread with its .wasm files found in node_modules, and the gradient registrations that
// tf.grads needs (not part of tfjs-core's main bundle); tfjs-layers on top for the layer rows.
import { createRequire, register } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

export type Tf = typeof import("@tensorflow/tfjs-core");
export type Tfl = typeof import("@tensorflow/tfjs-layers");
export type TfBackendName = "wasm" | "cpu";

let loading: Promise<Tf> | null = null;

async function load(): Promise<Tf> {
  register(new URL("./tfjs-resolve-hook.mjs", import.meta.url).href, pathToFileURL(`${process.cwd()}/`));
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-backend-cpu");
  await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
  wasm.setWasmPaths(`${dist}/`);
  wasm.setThreadsCount(1);
  return tf;
}

/** TF.js with both backends registered; the first call loads it. */
export function loadTfjs(): Promise<Tf> {
  return (loading ??= load());
}

/** TF.js core (as loadTfjs) and tfjs-layers. */
export async function loadTfjsLayers(): Promise<{ tf: Tf; tfl: Tfl }> {
  const tf = await loadTfjs();
  return { tf, tfl: await import("@tensorflow/tfjs-layers") };
}

/** Switches TF.js to `name`. */
export async function useTfBackend(tf: Tf, name: TfBackendName): Promise<void> {
  if (tf.getBackend() === name) return;
  if (!(await tf.setBackend(name))) throw new Error(`TF.js backend ${name} failed to initialize`);
  await tf.ready();
  // The cpu backend greets Node users on its first write, advertising tfjs-node: not here.
  if (name === "cpu") (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  if (name === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    if (wasm.getThreadsCount() !== 1) throw new Error(`TF.js wasm runs ${wasm.getThreadsCount()} threads, expected 1`);
  }
}
