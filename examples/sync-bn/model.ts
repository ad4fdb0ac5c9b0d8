// The example's network and training loop, shared by the two workers (data-parallel, with
// SyncBatchNorm) and the one-thread reference (the whole batch, with BatchNorm1d):
// 784 pixels -> Linear(100, no bias) -> batch norm -> sigmoid -> Linear(10) -> softmax.
// Everything but the batch norm is the MNIST example's own TypeScript (examples/mnist/).

import type { BatchNormBase } from "../../src/index.js";
import { CLASSES, PIXELS, type Digits } from "../mnist/data.js";
import { Linear, argmaxRows, sigmoid, sigmoidBackward, softmaxCrossEntropy } from "../mnist/layers.js";
import { Random } from "../mnist/random.js";

export const HIDDEN = 100;

export interface TrainConfig {
  steps: number;
  lr: number;
  seed: number;
  /** Rows of each global minibatch that each rank takes (one entry: a single thread). */
  shards: number[];
}

export class Model {
  readonly fc1: Linear;
  readonly fc2: Linear;
  private hidden: Float32Array | null = null;
  private bnGrads: { dweight: Float32Array; dbias: Float32Array } | null = null;

  /** The same seed gives the same initial weights on every rank. */
  constructor(readonly bn: BatchNormBase, seed: number) {
    const rng = new Random(seed);
    this.fc1 = new Linear(PIXELS, HIDDEN, rng, 0.1, { bias: false, sparseInput: true });
    this.fc2 = new Linear(HIDDEN, CLASSES, rng, 0.1);
  }

  forward(x: Float32Array, rows: number): Float32Array {
    const u = this.bn.forward(this.fc1.forward(x, rows), [rows, HIDDEN]);
    this.hidden = sigmoid(u);
    return this.fc2.forward(this.hidden, rows);
  }

  /** Gradients of the last forward into the layers' dweight / dbias. */
  backward(dlogits: Float32Array): void {
    const dh = this.fc2.backward(dlogits)!;
    const { dx, dweight, dbias } = this.bn.backward(sigmoidBackward(dh, this.hidden!));
    this.bnGrads = { dweight: dweight!, dbias: dbias! };
    this.fc1.backward(dx, false);
  }

  /** The gradients that are per-rank partial sums (the batch norm's are whole-batch already). */
  linearGrads(): Float32Array[] {
    return [this.fc1.dweight, this.fc2.dweight, this.fc2.dbias!];
  }

  step(lr: number): void {
    this.fc1.step(lr);
    this.fc2.step(lr);
    const g = this.bnGrads!;
    for (let c = 0; c < HIDDEN; c++) {
      this.bn.weight![c] -= lr * g.dweight[c];
      this.bn.bias![c] -= lr * g.dbias[c];
    }
  }

  /** Held-out accuracy with the running statistics (eval mode), then back to training. */
  accuracy(data: Digits): number {
    this.bn.eval();
    const predicted = argmaxRows(this.forward(data.images, data.count), data.count, CLASSES);
    this.bn.train();
    let right = 0;
    for (let n = 0; n < data.count; n++) if (predicted[n] === data.labels[n]) right++;
    return right / data.count;
  }
}

/**
 * Trains `model` on this rank's rows of every global minibatch (the same seeded order on
 * every rank). allReduce sums a gradient over the ranks (identity on one thread); the loss
 * is the mean over the global minibatch, so each rank scales its share by rows / global.
 */
export function train(
  model: Model, data: Digits, config: TrainConfig, rank: number, allReduce: (values: Float32Array) => void,
  onLoss: (step: number, loss: number) => void,
): void {
  const global = config.shards.reduce((a, b) => a + b, 0);
  const offset = config.shards.slice(0, rank).reduce((a, b) => a + b, 0);
  const rows = config.shards[rank];
  const order = new Random(config.seed + 1);
  let perm = order.shuffle(Int32Array.from({ length: data.count }, (_, i) => i));
  let cursor = 0;
  const x = new Float32Array(rows * PIXELS), labels = new Uint8Array(rows);
  for (let step = 1; step <= config.steps; step++) {
    if (cursor + global > data.count) {
      perm = order.shuffle(perm);
      cursor = 0;
    }
    for (let n = 0; n < rows; n++) {
      const i = perm[cursor + offset + n];
      x.set(data.images.subarray(i * PIXELS, (i + 1) * PIXELS), n * PIXELS);
      labels[n] = data.labels[i];
    }
    cursor += global;
    const { loss, dlogits } = softmaxCrossEntropy(model.forward(x, rows), labels, rows, CLASSES);
    for (let i = 0; i < dlogits.length; i++) dlogits[i] *= rows / global;
    model.backward(dlogits);
    for (const g of model.linearGrads()) allReduce(g);
    const total = Float32Array.of(loss * rows / global);
    allReduce(total);
    onLoss(step, total[0]);
    model.step(config.lr);
  }
}
