// Batch norm followed by a ReLU, zero-copy: fused (activation: "relu", one pass) or the
// plain module plus a separate ReLU pass over y in JavaScript (and dy masked by y > 0
// before the backward), as one writes it without the fused op.
import type { Backend } from "../../src/runtime/backend.js";
import { tensor, type Tensor } from "../../src/runtime/tensor.js";
import type { OpName, Outputs, Prepared, Workload } from "../case.js";
import type { Inputs } from "../data.js";
import type { NormModule } from "./module.js";

export function prepareRelu(
  make: (backend: Backend) => NormModule, backend: Backend, w: Workload, inputs: Inputs, op: OpName, fused: boolean,
): Prepared {
  const module = make(backend);
  if (op === "infer") module.eval();
  else module.train();
  const xt = tensor(w.shape, inputs.x, { backend });
  const dyt = tensor(w.shape, inputs.dy, { backend });
  const masked = fused ? null : tensor(w.shape, undefined, { backend });
  const step = () => {
    const y = module.forward(xt);
    if (!fused) {
      const v = y.data;
      for (let i = 0; i < v.length; i++) if (v[i] < 0) v[i] = 0;
    }
    if (op !== "trainBackward") return { y, grads: null };
    let dy: Tensor = dyt;
    if (masked) {
      const g = dyt.data, yv = y.data, m = masked.data;
      for (let i = 0; i < m.length; i++) m[i] = yv[i] > 0 ? g[i] : 0;
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
