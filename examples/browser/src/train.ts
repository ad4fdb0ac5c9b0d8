// The demo's networks and data: MLPs classifying three interleaved spirals, with and without
// batch norm. The linear layers, ReLU, loss and SGD are plain JavaScript; the batch norm
// layers are the package's BatchNorm1d. src/comparison.ts trains two of them side by side.
import { BatchNorm1d, type Backend } from "../../../src/index.js";

/** A seeded uniform generator in [0, 1) (LCG), so every run of the demo is the same. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

export interface Dataset {
  readonly x: Float32Array; // n x features
  readonly labels: Int32Array;
  readonly n: number;
  readonly features: number;
  readonly classes: number;
}

/** How the spirals are drawn: the angle each arm sweeps, and the angular noise. */
export interface SpiralsShape {
  readonly turn: number; // radians each arm sweeps from the centre (r = 0) out to r = 1
  readonly noise: number; // radians of uniform angular jitter
}

/** Three spirals of n / 3 points each (class i % 3) in the unit disc, seeded. */
export function spirals(n: number, seed: number, shape: SpiralsShape): Dataset {
  const rand = lcg(seed);
  const classes = 3;
  const x = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    const r = rand();
    const t = r * shape.turn + (c * 2 * Math.PI) / classes + (rand() - 0.5) * shape.noise;
    x[2 * i] = r * Math.cos(t);
    x[2 * i + 1] = r * Math.sin(t);
    labels[i] = c;
  }
  return { x, labels, n, features: 2, classes };
}

class Linear {
  readonly w: Float32Array; // out x in
  readonly b: Float32Array;
  readonly vw: Float32Array; // momentum buffers
  readonly vb: Float32Array;
  private x: Float32Array = new Float32Array(0);
  dw: Float32Array;
  db: Float32Array;

  constructor(readonly nIn: number, readonly nOut: number, rand: () => number) {
    const bound = Math.sqrt(6 / nIn); // He uniform, for ReLU
    this.w = Float32Array.from({ length: nIn * nOut }, () => (rand() * 2 - 1) * bound);
    this.b = new Float32Array(nOut);
    this.vw = new Float32Array(this.w.length);
    this.vb = new Float32Array(nOut);
    this.dw = new Float32Array(this.w.length);
    this.db = new Float32Array(nOut);
  }

  forward(x: Float32Array, n: number): Float32Array {
    this.x = x;
    const { nIn, nOut, w, b } = this;
    const y = new Float32Array(n * nOut);
    for (let r = 0; r < n; r++) {
      for (let o = 0; o < nOut; o++) {
        let s = b[o];
        for (let i = 0; i < nIn; i++) s += x[r * nIn + i] * w[o * nIn + i];
        y[r * nOut + o] = s;
      }
    }
    return y;
  }

  backward(dy: Float32Array, n: number): Float32Array {
    const { nIn, nOut, w, x, dw, db } = this;
    dw.fill(0);
    db.fill(0);
    const dx = new Float32Array(n * nIn);
    for (let r = 0; r < n; r++) {
      for (let o = 0; o < nOut; o++) {
        const g = dy[r * nOut + o];
        db[o] += g;
        for (let i = 0; i < nIn; i++) {
          dw[o * nIn + i] += g * x[r * nIn + i];
          dx[r * nIn + i] += g * w[o * nIn + i];
        }
      }
    }
    return dx;
  }
}

function relu(x: Float32Array): Float32Array {
  return x.map((v) => (v > 0 ? v : 0));
}

function reluBackward(dy: Float32Array, y: Float32Array): Float32Array {
  return dy.map((g, i) => (y[i] > 0 ? g : 0));
}

/** Mean softmax cross-entropy, its gradient with respect to the logits, and accuracy. */
function softmaxCrossEntropy(logits: Float32Array, labels: Int32Array, n: number, k: number) {
  const grad = new Float32Array(n * k);
  let loss = 0, correct = 0;
  for (let r = 0; r < n; r++) {
    let max = -Infinity, arg = 0;
    for (let j = 0; j < k; j++) if (logits[r * k + j] > max) (max = logits[r * k + j]), (arg = j);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(logits[r * k + j] - max);
    for (let j = 0; j < k; j++) {
      const p = Math.exp(logits[r * k + j] - max) / sum;
      grad[r * k + j] = (p - (j === labels[r] ? 1 : 0)) / n;
    }
    loss -= logits[r * k + labels[r]] - max - Math.log(sum);
    if (arg === labels[r]) correct++;
  }
  return { loss: loss / n, grad, accuracy: correct / n };
}

export interface StepStats {
  loss: number;
  accuracy: number;
}

export interface MlpOptions {
  readonly sizes: readonly number[]; // features, hidden widths..., classes
  readonly batchNorm: boolean; // BatchNorm1d after each hidden linear layer, before its ReLU
  readonly seed: number; // of the initial weights: two networks of one seed start equal
  readonly backend?: Backend;
}

/** (Linear -> [BatchNorm1d] -> ReLU) per hidden layer, then a linear classifier. */
export class Mlp {
  private readonly linears: Linear[] = [];
  readonly norms: BatchNorm1d[] = [];
  /** The momentum buffers of each norm's weight and bias. */
  private readonly normVelocity: { w: Float32Array; b: Float32Array }[] = [];
  readonly batchNorm: boolean;
  private acts: Float32Array[] = [];

  constructor(options: MlpOptions) {
    const { sizes, batchNorm, backend } = options;
    this.batchNorm = batchNorm;
    const rand = lcg(options.seed);
    for (let l = 0; l + 1 < sizes.length; l++) {
      this.linears.push(new Linear(sizes[l], sizes[l + 1], rand));
      if (batchNorm && l + 2 < sizes.length) {
        this.norms.push(new BatchNorm1d(sizes[l + 1], { backend }));
        this.normVelocity.push({ w: new Float32Array(sizes[l + 1]), b: new Float32Array(sizes[l + 1]) });
      }
    }
  }

  /** Logits for n rows; in training mode the batch norm layers use batch statistics. */
  forward(x: Float32Array, n: number): Float32Array {
    this.acts = [];
    let h: Float32Array = x;
    this.linears.forEach((lin, l) => {
      h = lin.forward(h, n);
      if (l + 1 < this.linears.length) {
        if (this.batchNorm) h = this.norms[l].forward(h, [n, lin.nOut]);
        h = relu(h);
        this.acts.push(h);
      }
    });
    return h;
  }

  train(mode: boolean): void {
    for (const bn of this.norms) bn.train(mode);
  }

  /** One SGD step (momentum 0.9) on a batch; returns the batch's loss and accuracy. */
  step(x: Float32Array, labels: Int32Array, n: number, lr: number): StepStats {
    const logits = this.forward(x, n);
    const { loss, grad, accuracy } = softmaxCrossEntropy(logits, labels, n, logits.length / n);
    let g: Float32Array = grad;
    for (let l = this.linears.length - 1; l >= 0; l--) {
      g = this.linears[l].backward(g, n);
      if (l > 0) {
        g = reluBackward(g, this.acts[l - 1]);
        if (this.batchNorm) {
          const bn = this.norms[l - 1];
          const { dx, dweight, dbias } = bn.backward(g);
          sgd(bn.weight!, dweight!, lr, this.normVelocity[l - 1].w);
          sgd(bn.bias!, dbias!, lr, this.normVelocity[l - 1].b);
          g = dx;
        }
      }
    }
    for (const lin of this.linears) {
      sgd(lin.w, lin.dw, lr, lin.vw);
      sgd(lin.b, lin.db, lr, lin.vb);
    }
    return { loss, accuracy };
  }

  /** Loss and accuracy on a whole dataset, in inference mode (running statistics). */
  evaluate(data: Dataset): StepStats {
    this.train(false);
    const logits = this.forward(data.x, data.n);
    this.train(true);
    const { loss, accuracy } = softmaxCrossEntropy(logits, data.labels, data.n, data.classes);
    return { loss, accuracy };
  }

  dispose(): void {
    for (const bn of this.norms) bn.dispose();
  }
}

function sgd(p: Float32Array, g: Float32Array, lr: number, v: Float32Array): void {
  for (let i = 0; i < p.length; i++) {
    v[i] = 0.9 * v[i] - lr * g[i];
    p[i] += v[i];
  }
}

/** A random batch of `size` rows of `data`. */
export function batchOf(data: Dataset, size: number, rand: () => number) {
  const x = new Float32Array(size * data.features);
  const labels = new Int32Array(size);
  for (let r = 0; r < size; r++) {
    const i = Math.floor(rand() * data.n);
    for (let f = 0; f < data.features; f++) x[r * data.features + f] = data.x[i * data.features + f];
    labels[r] = data.labels[i];
  }
  return { x, labels };
}
