// The kernels without the wrapper: exactly the Backend calls a BatchNorm module makes for
// an op, over regions allocated once. Module time minus this is the wrapper's overhead
// (argument checks, staging of parameters, output allocation, dispatch).
import type { Backend, Region } from "../../src/backend.js";
import { dimsOf } from "../../src/checks.js";
import { Workspace } from "../../src/workspace.js";
import type { OpName, Prepared, Workload } from "../case.js";
import type { Inputs } from "../data.js";

const MOMENTUM = 0.1;

export function prepareRawKernels(backend: Backend, w: Workload, inputs: Inputs, op: OpName): Prepared {
  const d = dimsOf(w.shape, w.layout);
  const count = d.N * d.S;
  const bytes = w.elements * 4;
  const ws = new Workspace(backend, d.C);
  const regions: Region[] = [backend.alloc(bytes), backend.alloc(bytes), backend.alloc(bytes), backend.alloc(bytes)];
  const [x, y, dy, dx] = regions;
  x.f32().set(inputs.x);
  dy.f32().set(inputs.dy);
  ws.weight.f32().set(inputs.weight);
  ws.bias.f32().set(inputs.bias);
  ws.runMean.f32().set(inputs.runningMean);
  ws.runVar.f32().set(inputs.runningVar);

  const train = () => {
    backend.trainForward(x, y, d, inputs.eps, ws.weight, ws.bias, ws.ch);
    backend.updateRunningStats(d.C, ws.runMean, ws.runVar, ws.ch, MOMENTUM, count / (count - 1));
  };
  const run =
    op === "train" ? train
    : op === "infer" ? () => backend.evalForward(x, y, d, inputs.eps, ws.weight, ws.bias, ws.runMean, ws.runVar, ws.ch)
    : () => {
        train();
        backend.backward(dy, x, dx, d, true, ws.weight, ws.dweight, ws.dbias, ws.ch);
      };
  return {
    run,
    outputs: () => {
      // Inference must see the workload's running statistics, not ones a training run moved.
      ws.runMean.f32().set(inputs.runningMean);
      ws.runVar.f32().set(inputs.runningVar);
      run();
      const f32 = (r: Region, n: number) => r.f32().slice(0, n);
      if (op !== "trainBackward") return { y: f32(y, w.elements) };
      return { y: f32(y, w.elements), dx: f32(dx, w.elements), dweight: f32(ws.dweight, d.C), dbias: f32(ws.dbias, d.C) };
    },
    dispose: () => {
      for (const r of regions) r.free();
      ws.dispose();
    },
  };
}
