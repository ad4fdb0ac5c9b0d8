// Our modules timed through the public API: zero-copy (tensor() handles in and out, the
// outputs disposed every call) or plain Float32Arrays (copied in and out by the module:
// into new arrays, or with `out` / `dx` into the same arrays every call).
import type { Backend } from "../../src/runtime/backend.js";
import type { Gradients } from "../../src/ops/batchnorm.js";
import { tensor, type Tensor } from "../../src/runtime/tensor.js";
import type { OpName, Outputs, Prepared, Workload } from "../case.js";
import type { Inputs } from "../data.js";

/** What the runner needs of a module (BatchNorm*d today; the family modules look the same). */
export interface NormModule {
  forward(x: Float32Array, shape: readonly number[], options?: { out?: Float32Array }): Float32Array;
  forward(x: Tensor, shape?: readonly number[]): Tensor;
  backward(dy: Float32Array, options?: { dx?: Float32Array }): Gradients<Float32Array>;
  backward(dy: Tensor): Gradients<Tensor>;
  train(mode?: boolean): unknown;
  eval(): unknown;
  dispose(): void;
}

export type Io = "tensor" | "array" | "array-out";

interface Result<T> {
  y: T;
  grads: Gradients<T> | null;
}

function copyOut(r: Result<Float32Array>): Outputs {
  return {
    y: r.y,
    dx: r.grads?.dx,
    dweight: r.grads?.dweight ?? undefined,
    dbias: r.grads?.dbias ?? undefined,
  };
}

/**
 * One module on `backend`, prepared for `op`. `make` builds it with the workload's
 * parameters and running statistics already loaded.
 */
export function prepareModule(
  make: (backend: Backend) => NormModule, backend: Backend, w: Workload, inputs: Inputs, op: OpName, io: Io,
): Prepared {
  const module = make(backend);
  if (op === "infer") module.eval();
  else module.train();
  const backward = op === "trainBackward";

  if (io !== "tensor") {
    // array-out: the caller's arrays, made once.
    const outs = io === "array-out" ? { y: { out: new Float32Array(w.elements) }, dx: { dx: new Float32Array(w.elements) } } : null;
    const step = (): Result<Float32Array> => {
      const y = module.forward(inputs.x, w.shape, outs?.y);
      return { y, grads: backward ? module.backward(inputs.dy, outs?.dx) : null };
    };
    return {
      run: () => void step(),
      outputs: () => {
        const r = step();
        return copyOut({ y: r.y.slice(), grads: r.grads && { ...r.grads, dx: r.grads.dx.slice() } });
      },
      dispose: () => module.dispose(),
    };
  }

  const xt = tensor(w.shape, inputs.x, { backend });
  const dyt = backward ? tensor(w.shape, inputs.dy, { backend }) : null;
  const step = (): Result<Tensor> => {
    const y = module.forward(xt);
    return { y, grads: dyt ? module.backward(dyt) : null };
  };
  const release = (r: Result<Tensor>) => {
    r.y.dispose();
    r.grads?.dx.dispose();
  };
  return {
    run: () => release(step()),
    outputs: () => {
      const r = step();
      const out = copyOut({ y: r.y.data.slice(), grads: r.grads && { ...r.grads, dx: r.grads.dx.data.slice() } });
      release(r);
      return out;
    },
    dispose: () => {
      xt.dispose();
      dyt?.dispose();
      module.dispose();
    },
  };
}
