// tf.batchNorm with batchnorm-wasm's kernels behind it (batchnorm-wasm/tfjs): the TF.js rows
// of the same work, with the adapter registered for the row's lifetime. Only the inference
// forward of channels-last workloads is a plain tf.batchNorm call (see tfjs.ts), so only
// those rows exist.
import { registerTfjsKernels } from "../../src/tfjs/index.js";
import type { OpName, Prepared, Workload } from "../case.js";
import type { Inputs } from "../data.js";
import { prepareTfjs } from "./tfjs.js";
import { loadTfjs, useTfBackend, type TfBackendName } from "./tfjs-loader.js";

export async function prepareTfjsAdapter(backend: TfBackendName, w: Workload, inputs: Inputs, op: OpName): Promise<Prepared> {
  const tf = await loadTfjs();
  await useTfBackend(tf, backend);
  const unregister = registerTfjsKernels(tf, { backends: [backend] });
  try {
    const inner = await prepareTfjs(backend, w, inputs, op);
    return { ...inner, dispose: () => (inner.dispose(), unregister()) };
  } catch (error) {
    unregister();
    throw error;
  }
}
