// The example's own small layers over plain Float32Arrays, row-major (one row per example):
// a fully connected layer, the logistic sigmoid, and softmax cross-entropy. Only the
// normalization comes from the package.

import { matmulABt, matmulABtSparse, matmulSparseABt, toCsr, toCsrTransposed, transpose } from "./matmul.js";
import { Random } from "./random.js";

/**
 * y = x W^T + b, with W stored (outputs, inputs) as in torch.nn.Linear. sparseInput: the
 * input is mostly zeros (pixels), so the products skip them.
 */
export class Linear {
  readonly weight: Float32Array;
  readonly bias: Float32Array | null;
  readonly dweight: Float32Array;
  readonly dbias: Float32Array | null;
  private readonly sparseInput: boolean;
  private input: Float32Array | null = null;
  private rows = 0;

  /** Weights from N(0, std^2); biases zero. bias: false when a following batch norm's shift takes its place. */
  constructor(
    readonly inputs: number,
    readonly outputs: number,
    rng: Random,
    std: number,
    options: { bias?: boolean; sparseInput?: boolean } = {},
  ) {
    this.weight = new Float32Array(inputs * outputs);
    for (let i = 0; i < this.weight.length; i++) this.weight[i] = rng.normal() * std;
    const hasBias = options.bias ?? true;
    this.bias = hasBias ? new Float32Array(outputs) : null;
    this.dweight = new Float32Array(inputs * outputs);
    this.dbias = hasBias ? new Float32Array(outputs) : null;
    this.sparseInput = options.sparseInput ?? false;
  }

  /** x: rows x inputs; returns rows x outputs. Keeps x for backward. */
  forward(x: Float32Array, rows: number): Float32Array {
    const { inputs: I, outputs: O, weight: W, bias: b } = this;
    const y = this.sparseInput ? matmulSparseABt(toCsr(x, rows, I), W, O, I) : matmulABt(x, W, rows, O, I);
    if (b !== null) for (let n = 0; n < rows; n++) for (let o = 0; o < O; o++) y[n * O + o] += b[o];
    this.input = x;
    this.rows = rows;
    return y;
  }

  /**
   * Sets dweight and dbias for the last forward and returns dx (or null when wantInput is
   * false: the first layer's input gradient is never used).
   */
  backward(dy: Float32Array, wantInput = true): Float32Array | null {
    const { inputs: I, outputs: O, weight: W, dbias: db, rows: N } = this;
    const x = this.input;
    if (x === null) throw new Error("Linear.backward: call forward first");
    // dW = dy^T x: as A B^T with A = dy^T (O x N) and B = x^T (I x N).
    const dyT = transpose(dy, N, O);
    this.dweight.set(this.sparseInput
      ? matmulABtSparse(dyT, O, N, toCsrTransposed(x, N, I))
      : matmulABt(dyT, transpose(x, N, I), O, I, N));
    if (db !== null) {
      for (let o = 0; o < O; o++) {
        let s = 0;
        for (let n = 0; n < N; n++) s += dyT[o * N + n];
        db[o] = s;
      }
    }
    // dx = dy W: as A B^T with A = dy (N x O) and B = W^T (I x O).
    return wantInput ? matmulABt(dy, transpose(W, O, I), N, I, O) : null;
  }

  /** Plain SGD: p -= lr * dp. */
  step(lr: number): void {
    sgd(this.weight, this.dweight, lr);
    if (this.bias !== null) sgd(this.bias, this.dbias!, lr);
  }
}

export function sgd(param: Float32Array, grad: Float32Array, lr: number): void {
  for (let i = 0; i < param.length; i++) param[i] -= lr * grad[i];
}

/** Element-wise 1 / (1 + e^-u), into a new array. */
export function sigmoid(u: Float32Array): Float32Array {
  const h = new Float32Array(u.length);
  for (let i = 0; i < u.length; i++) h[i] = 1 / (1 + Math.exp(-u[i]));
  return h;
}

/** du = dh * h * (1 - h), from the sigmoid's output h. */
export function sigmoidBackward(dh: Float32Array, h: Float32Array): Float32Array {
  const du = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) du[i] = dh[i] * h[i] * (1 - h[i]);
  return du;
}

/**
 * Mean softmax cross-entropy of logits (rows x classes) against labels, and its gradient
 * (softmax - onehot) / rows. The max is subtracted before exp so large logits do not overflow.
 */
export function softmaxCrossEntropy(logits: Float32Array, labels: ArrayLike<number>, rows: number, classes: number): { loss: number; dlogits: Float32Array } {
  const dlogits = new Float32Array(rows * classes);
  let loss = 0;
  for (let n = 0; n < rows; n++) {
    const at = n * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[at + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[at + c] - max);
    const label = labels[n];
    loss += Math.log(sum) - (logits[at + label] - max);
    for (let c = 0; c < classes; c++) {
      dlogits[at + c] = (Math.exp(logits[at + c] - max) / sum - (c === label ? 1 : 0)) / rows;
    }
  }
  return { loss: loss / rows, dlogits };
}

/** Index of the largest logit in each row. */
export function argmaxRows(logits: Float32Array, rows: number, classes: number): Uint8Array {
  const out = new Uint8Array(rows);
  for (let n = 0; n < rows; n++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[n * classes + c] > logits[n * classes + best]) best = c;
    out[n] = best;
  }
  return out;
}
