// The paper's MNIST network: 784 -> 3 x (100 fully connected -> [BatchNorm1d] -> sigmoid)
// -> 10 fully connected -> softmax cross-entropy. The batch-norm variant uses the package's
// BatchNorm1d for every normalization, forward and backward.

import { BatchNorm1d, type Backend } from "../../src/index.js";
import { CLASSES, PIXELS } from "./data.js";
import { Linear, sgd, sigmoid, sigmoidBackward, softmaxCrossEntropy } from "./layers.js";
import { Random } from "./random.js";

export const HIDDEN = 100;
export const HIDDEN_LAYERS = 3;

export interface NetworkOptions {
  batchNorm: boolean;
  /** Seeds the initial weights: two networks with the same seed start from the same weights. */
  seed: number;
  /** Standard deviation of the Gaussian the weights are drawn from. */
  initStd: number;
  backend?: Backend;
}

export class Network {
  readonly batchNorm: boolean;
  readonly linears: Linear[];
  readonly norms: BatchNorm1d[];
  /** Milliseconds spent inside BatchNorm1d forward and backward since construction. */
  normMs = 0;
  /** Inputs to each hidden layer's sigmoids in the last forward (rows x 100 each). */
  private sigmoidInputs: Float32Array[] = [];
  private sigmoidOutputs: Float32Array[] = [];
  private rows = 0;

  constructor(options: NetworkOptions) {
    this.batchNorm = options.batchNorm;
    const rng = new Random(options.seed);
    const sizes = [PIXELS, ...Array(HIDDEN_LAYERS).fill(HIDDEN), CLASSES];
    // A linear layer followed by batch norm has no bias: the mean subtraction would cancel
    // it, and batch norm's own shift (its bias) does that job (paper, section 3.2).
    this.linears = sizes.slice(1).map((out, k) =>
      new Linear(sizes[k], out, rng, options.initStd, { bias: !(this.batchNorm && k < HIDDEN_LAYERS), sparseInput: k === 0 }));
    this.norms = this.batchNorm
      ? Array.from({ length: HIDDEN_LAYERS }, () => new BatchNorm1d(HIDDEN, options.backend ? { backend: options.backend } : {}))
      : [];
  }

  /** Training mode (batch statistics) or evaluation mode (running statistics) for every BatchNorm1d. */
  train(mode = true): this {
    for (const bn of this.norms) bn.train(mode);
    return this;
  }

  /** Logits (rows x 10) for images (rows x 784). */
  forward(images: Float32Array, rows: number): Float32Array {
    let a = images;
    this.sigmoidInputs = [];
    this.sigmoidOutputs = [];
    for (let k = 0; k < HIDDEN_LAYERS; k++) {
      let u = this.linears[k].forward(a, rows);
      if (this.batchNorm) {
        const t = performance.now();
        u = this.norms[k].forward(u, [rows, HIDDEN]);
        this.normMs += performance.now() - t;
      }
      a = sigmoid(u);
      this.sigmoidInputs.push(u);
      this.sigmoidOutputs.push(a);
    }
    this.rows = rows;
    return this.linears[HIDDEN_LAYERS].forward(a, rows);
  }

  /** The input of sigmoid `unit` of hidden layer `layer` for each row of the last forward. */
  sigmoidInput(layer: number, unit: number): Float32Array {
    const u = this.sigmoidInputs[layer];
    return Float32Array.from({ length: this.rows }, (_, n) => u[n * HIDDEN + unit]);
  }

  /** One SGD step on a minibatch; returns its mean loss. */
  trainStep(images: Float32Array, labels: ArrayLike<number>, rows: number, lr: number): number {
    const { loss, dlogits } = softmaxCrossEntropy(this.forward(images, rows), labels, rows, CLASSES);
    let dh = this.linears[HIDDEN_LAYERS].backward(dlogits)!;
    for (let k = HIDDEN_LAYERS - 1; k >= 0; k--) {
      let du = sigmoidBackward(dh, this.sigmoidOutputs[k]);
      if (this.batchNorm) {
        const t = performance.now();
        const g = this.norms[k].backward(du);
        this.normMs += performance.now() - t;
        du = g.dx;
        sgd(this.norms[k].weight!, g.dweight!, lr);
        sgd(this.norms[k].bias!, g.dbias!, lr);
      }
      const dx = this.linears[k].backward(du, k > 0);
      if (dx !== null) dh = dx;
    }
    for (const layer of this.linears) layer.step(lr);
    return loss;
  }

  dispose(): void {
    for (const bn of this.norms) bn.dispose();
  }
}
