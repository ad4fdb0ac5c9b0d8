// One rank of the SyncBatchNorm tests: runs its shard through training steps (forward and
// backward), then an eval forward, and posts what it got; or misbehaves as told.
import { parentPort, workerData } from "node:worker_threads";
import {
  SyncBatchNorm, SyncChannel, createBackend, createReferenceBackend, tensor, type BatchNormOptions, type SyncGroupHandle, type Tensor,
} from "../../src/index.js";

export interface ShardStep {
  x: Float32Array;
  dy: Float32Array;
  shape: number[];
}

export interface WorkerJob {
  handle: SyncGroupHandle;
  backend: "simd" | "scalar" | "reference";
  numFeatures: number;
  options: Omit<BatchNormOptions, "backend">;
  steps: ShardStep[];
  evalStep: { x: Float32Array; shape: number[] };
  /** Run through tensors in the kernels' memory instead of Float32Arrays. */
  tensors: boolean;
  /** Misbehave at the start of this step. */
  fault?: { step: number; kind: "throw" | "exit" | "hang" | "bad-input" };
}

export type WorkerResult =
  | {
    ok: true;
    ys: Float32Array[];
    dxs: Float32Array[];
    dweights: Array<Float32Array | null>;
    dbiases: Array<Float32Array | null>;
    runningMean: Float32Array | null;
    runningVar: Float32Array | null;
    numBatchesTracked: number;
    evalY: Float32Array;
    /** allReduce of i * (rank + 1) for i < 300: several exchanges of the group's slots. */
    reduced: Float32Array;
  }
  | { ok: false; error: string; rank: number };

const job = workerData as WorkerJob;
const backend = job.backend === "reference" ? createReferenceBackend() : createBackend({ simd: job.backend === "simd" });
const bn = new SyncBatchNorm(job.numFeatures, { ...job.options, backend, group: job.handle });

function run(x: Float32Array, shape: number[], f: (t: Float32Array | Tensor) => Float32Array | Tensor): Float32Array {
  if (!job.tensors) return f(x) as Float32Array;
  const t = tensor(shape, x, { backend });
  const out = f(t) as Tensor;
  const values = out.data.slice();
  out.dispose();
  return values;
}

try {
  const result: Extract<WorkerResult, { ok: true }> = {
    ok: true, ys: [], dxs: [], dweights: [], dbiases: [], runningMean: null, runningVar: null, numBatchesTracked: 0, evalY: new Float32Array(),
    reduced: new Float32Array(),
  };
  job.steps.forEach((step, i) => {
    if (job.fault?.step === i) {
      if (job.fault.kind === "throw") throw new Error(`rank ${job.handle.rank} fails on purpose`);
      if (job.fault.kind === "exit") process.exit(3);
      if (job.fault.kind === "hang") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
      if (job.fault.kind === "bad-input") {
        const shape = [step.shape[0], step.shape[1] + 1, ...step.shape.slice(2)];
        bn.forward(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
      }
    }
    bn.train();
    let xTensor: Tensor | null = null;
    if (job.tensors) {
      xTensor = tensor(step.shape, step.x, { backend });
      const y = bn.forward(xTensor);
      result.ys.push(y.data.slice());
      y.dispose();
    } else {
      result.ys.push(bn.forward(step.x, step.shape));
    }
    const g = job.tensors ? bn.backward(tensor(step.shape, step.dy, { backend })) : bn.backward(step.dy);
    result.dxs.push(g.dx instanceof Float32Array ? g.dx : (g.dx as Tensor).data.slice());
    result.dweights.push(g.dweight);
    result.dbiases.push(g.dbias);
    xTensor?.dispose();
  });
  bn.eval();
  result.evalY = run(job.evalStep.x, job.evalStep.shape, (t) => (t instanceof Float32Array ? bn.forward(t, job.evalStep.shape) : bn.forward(t)));
  result.runningMean = bn.runningMean;
  result.runningVar = bn.runningVar;
  result.numBatchesTracked = bn.numBatchesTracked;
  result.reduced = SyncChannel.join(job.handle).allReduce(Float32Array.from({ length: 300 }, (_, i) => i * (job.handle.rank + 1)));
  parentPort!.postMessage(result);
} catch (error) {
  if (job.fault?.kind === "throw") throw error;
  parentPort!.postMessage({ ok: false, error: (error as Error).message, rank: job.handle.rank } satisfies WorkerResult);
}
