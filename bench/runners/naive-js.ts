// Batch norm as one writes it by hand in JavaScript: per channel, a pass for the mean, a
// pass for the variance, a pass for the output (and two more for the backward). Numbers
// are JS doubles, the arrays Float32Array. The baseline "pure JS" means in the issue.
import type { Dims } from "../../src/runtime/backend.js";
import { dimsOf } from "../../src/ops/shapes.js";
import type { OpName, Prepared, Workload } from "../case.js";
import type { Inputs } from "../data.js";

/** Index of element s of sample n in channel c. */
const at = (d: Dims, n: number, c: number, s: number) => (d.channelsLast ? (n * d.S + s) * d.C + c : (n * d.C + c) * d.S + s);

function stats(x: Float32Array, d: Dims, mean: Float64Array, invstd: Float64Array, eps: number): void {
  const count = d.N * d.S;
  for (let c = 0; c < d.C; c++) {
    let sum = 0;
    for (let n = 0; n < d.N; n++) for (let s = 0; s < d.S; s++) sum += x[at(d, n, c, s)];
    const m = sum / count;
    let sq = 0;
    for (let n = 0; n < d.N; n++) {
      for (let s = 0; s < d.S; s++) {
        const v = x[at(d, n, c, s)] - m;
        sq += v * v;
      }
    }
    mean[c] = m;
    invstd[c] = 1 / Math.sqrt(sq / count + eps);
  }
}

function apply(x: Float32Array, y: Float32Array, d: Dims, mean: ArrayLike<number>, invstd: ArrayLike<number>, w: Float32Array, b: Float32Array): void {
  for (let c = 0; c < d.C; c++) {
    const scale = invstd[c] * w[c], shift = b[c] - mean[c] * scale;
    for (let n = 0; n < d.N; n++) {
      for (let s = 0; s < d.S; s++) {
        const i = at(d, n, c, s);
        y[i] = x[i] * scale + shift;
      }
    }
  }
}

function backward(
  x: Float32Array, dy: Float32Array, dx: Float32Array, d: Dims, mean: Float64Array, invstd: Float64Array,
  w: Float32Array, dweight: Float32Array, dbias: Float32Array,
): void {
  const count = d.N * d.S;
  for (let c = 0; c < d.C; c++) {
    let sumDy = 0, sumDyXmu = 0;
    for (let n = 0; n < d.N; n++) {
      for (let s = 0; s < d.S; s++) {
        const i = at(d, n, c, s);
        sumDy += dy[i];
        sumDyXmu += dy[i] * (x[i] - mean[c]);
      }
    }
    const k = invstd[c];
    dbias[c] = sumDy;
    dweight[c] = sumDyXmu * k;
    const scale = w[c] * k / count, proj = sumDyXmu * k * k;
    for (let n = 0; n < d.N; n++) {
      for (let s = 0; s < d.S; s++) {
        const i = at(d, n, c, s);
        dx[i] = scale * (count * dy[i] - sumDy - (x[i] - mean[c]) * proj);
      }
    }
  }
}

export function prepareNaiveJs(w: Workload, inputs: Inputs, op: OpName): Prepared {
  const d = dimsOf(w.shape, w.layout);
  const { x, dy, weight, bias, eps } = inputs;
  const mean = new Float64Array(d.C), invstd = new Float64Array(d.C);
  const runMean = inputs.runningMean.slice(), runVar = inputs.runningVar.slice();
  const count = d.N * d.S;
  let y = new Float32Array(0), dx = new Float32Array(0);
  const dweight = new Float32Array(d.C), dbias = new Float32Array(d.C);

  const train = () => {
    stats(x, d, mean, invstd, eps);
    y = new Float32Array(w.elements);
    apply(x, y, d, mean, invstd, weight, bias);
    for (let c = 0; c < d.C; c++) {
      const variance = 1 / (invstd[c] * invstd[c]) - eps;
      runMean[c] = 0.9 * runMean[c] + 0.1 * mean[c];
      runVar[c] = 0.9 * runVar[c] + 0.1 * variance * count / (count - 1);
    }
  };
  const infer = () => {
    for (let c = 0; c < d.C; c++) invstd[c] = 1 / Math.sqrt(inputs.runningVar[c] + eps);
    y = new Float32Array(w.elements);
    apply(x, y, d, inputs.runningMean, invstd, weight, bias);
  };
  const trainBackward = () => {
    train();
    dx = new Float32Array(w.elements);
    backward(x, dy, dx, d, mean, invstd, weight, dweight, dbias);
  };
  const run = op === "train" ? train : op === "infer" ? infer : trainBackward;
  return {
    run,
    outputs: () => {
      run();
      return op === "trainBackward" ? { y, dx, dweight: dweight.slice(), dbias: dbias.slice() } : { y };
    },
    dispose: () => {},
  };
}
