// Batch norm followed by a ReLU, zero-copy: fused (activation: "relu", one pass), or what a
// user of the package would otherwise run: the plain module, then a ReLU pass in wasm over
// y in place (bench/wasm/relu-pass.ts, SIMD on the SIMD build, on the backend's own memory),
// and before the backward dy masked by y > 0 by the same module.
import type { Backend } from "../../src/runtime/backend.js";
import { tensor, type Tensor } from "../../src/runtime/tensor.js";
import type { OpName, Outputs, Prepared, Workload } from "../case.js";
import type { Inputs } from "../data.js";
import { backendMemory, reluPassFor } from "../wasm/relu-pass.js";
import type { NormModule } from "./module.js";

/** The byte offset of a tensor's data in `memory` (throws if it lives elsewhere). */
function offsetIn(memory: WebAssembly.Memory, t: Tensor): number {
  const d = t.data;
  if (d.buffer !== memory.buffer) throw new Error("bench: tensor data is not in the backend's WebAssembly.Memory");
  return d.byteOffset;
}

export function prepareRelu(
  make: (backend: Backend) => NormModule, backend: Backend, w: Workload, inputs: Inputs, op: OpName, fused: boolean,
): Prepared {
  const pass = fused ? null : reluPassFor(backend);
  const memory = fused ? null : backendMemory(backend)!;
  const module = make(backend);
  if (op === "infer") module.eval();
  else module.train();
  const xt = tensor(w.shape, inputs.x, { backend });
  const dyt = tensor(w.shape, inputs.dy, { backend });
  const masked = fused ? null : tensor(w.shape, undefined, { backend });
  const n = w.elements;
  const step = () => {
    const y = module.forward(xt);
    if (pass) pass.relu(offsetIn(memory!, y), n);
    if (op !== "trainBackward") return { y, grads: null };
    let dy: Tensor = dyt;
    if (pass && masked) {
      pass.mask(offsetIn(memory!, masked), offsetIn(memory!, dyt), offsetIn(memory!, y), n);
      dy = masked;
    }
    return { y, grads: module.backward(dy) };
  };
  const release = (r: ReturnType<typeof step>) => {
    r.y.dispose();
    r.grads?.dx.dispose();
  };
  return {
    run: () => release(step()),
    outputs: (): Outputs => {
      const r = step();
      const out: Outputs = { y: r.y.data.slice() };
      if (r.grads) Object.assign(out, { dx: r.grads.dx.data.slice(), dweight: r.grads.dweight ?? undefined, dbias: r.grads.dbias ?? undefined });
      release(r);
      return out;
    },
    dispose: () => {
      xt.dispose();
      dyt.dispose();
      masked?.dispose();
      module.dispose();
    },
  };
}
