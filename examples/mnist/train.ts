// The training loop. Both networks (plain and batch norm) start from the same initial
// weights and see the same minibatches in the same order at the same learning rate: each is
// trained by trainNetwork() with the same seed, so they can run one after the other or on
// two threads (see parallel.ts) with identical numbers. Every `every` steps a run records
// held-out accuracy and the percentiles of one fixed sigmoid's input over the held-out set
// (the fixed batch of Figure 1b/1c).

import type { Backend } from "../../src/index.js";
import { CLASSES, PIXELS, type Digits } from "./data.js";
import { argmaxRows } from "./layers.js";
import { HIDDEN, HIDDEN_LAYERS, Network } from "./network.js";
import { figurePercentiles } from "./percentiles.js";
import { Random } from "./random.js";

export interface TrainOptions {
  steps: number;
  /** Record every this many steps (step 0 is always recorded, and so is the last step). */
  every: number;
  lr: number;
  seed: number;
  batchSize?: number;
  initStd?: number;
  /** The sigmoid whose input distribution is recorded: a unit of the last hidden layer. */
  probeUnit?: number;
  backend?: Backend;
}

export type Config = Required<Omit<TrainOptions, "backend">>;

export interface NetworkRecord {
  testAcc: number[];
  /** [p15, p50, p85] of the probed sigmoid's input over the held-out set, per record. */
  percentiles: Array<[number, number, number]>;
  /** First recorded step at which held-out accuracy reached 90%, or null. */
  stepsTo90: number | null;
  /** Milliseconds of training steps (forward, backward, update), of which in BatchNorm1d. */
  trainMs: number;
  normMs: number;
  /** Milliseconds of the held-out evaluations behind the records. */
  evalMs: number;
}

/** One network's run: the recorded steps and what was recorded. */
export interface NetworkRun extends NetworkRecord {
  steps: number[];
  /** Final held-out accuracy in training mode (batch statistics over minibatches of batchSize); null without batch norm. */
  batchStatsTestAcc: number | null;
}

export interface RunResult {
  steps: number[];
  bn: NetworkRecord & { batchStatsTestAcc: number };
  plain: NetworkRecord;
  config: Config & { train: number; test: number };
}

export const DEFAULTS = { batchSize: 60, initStd: 0.1, probeUnit: 0 };

/** The options with defaults filled in, checked. */
export function configOf(options: TrainOptions): Config {
  const { backend: _, ...rest } = options;
  const c = { ...DEFAULTS, ...rest };
  const int = (name: string, v: number, lo: number, hi = Infinity) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`runExperiment: ${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  };
  int("steps", c.steps, 1);
  int("every", c.every, 1);
  int("batchSize", c.batchSize, 2);
  int("probeUnit", c.probeUnit, 0, HIDDEN - 1);
  if (!(c.lr > 0)) throw new Error(`runExperiment: lr must be a positive number, got ${c.lr}`);
  return c;
}

/** Fraction of digits the network classifies correctly, in one forward over all of them. */
export function accuracy(net: Network, data: Digits): number {
  const predicted = argmaxRows(net.forward(data.images, data.count), data.count, CLASSES);
  let right = 0;
  for (let n = 0; n < data.count; n++) if (predicted[n] === data.labels[n]) right++;
  return right / data.count;
}

/**
 * Held-out accuracy of a batch-norm network in training mode: each minibatch normalized by
 * its own statistics. Training-mode forwards update the running statistics, so they are
 * saved first and restored after: the network is left exactly as it was.
 */
export function batchStatsAccuracy(net: Network, data: Digits, batchSize: number): number {
  const saved = net.norms.map((bn) => bn.stateDict());
  const wasTraining = net.norms.every((bn) => bn.training);
  net.train(true);
  let right = 0;
  for (let start = 0; start < data.count; start += batchSize) {
    const rows = Math.min(batchSize, data.count - start);
    const logits = net.forward(data.images.subarray(start * PIXELS, (start + rows) * PIXELS), rows);
    const predicted = argmaxRows(logits, rows, CLASSES);
    for (let n = 0; n < rows; n++) if (predicted[n] === data.labels[start + n]) right++;
  }
  net.norms.forEach((bn, k) => bn.loadStateDict(saved[k]));
  net.train(wasTraining);
  return right / data.count;
}

/** Minibatches in a seeded order: a fresh shuffle of the training set every epoch. */
function* minibatches(train: Digits, batchSize: number, seed: number) {
  const order = new Random(seed + 1);
  let perm = order.shuffle(Int32Array.from({ length: train.count }, (_, i) => i));
  let cursor = 0;
  const images = new Float32Array(batchSize * PIXELS);
  const labels = new Uint8Array(batchSize);
  for (;;) {
    if (cursor + batchSize > train.count) {
      perm = order.shuffle(perm);
      cursor = 0;
    }
    for (let n = 0; n < batchSize; n++) {
      const i = perm[cursor++];
      images.set(train.images.subarray(i * PIXELS, (i + 1) * PIXELS), n * PIXELS);
      labels[n] = train.labels[i];
    }
    yield { images, labels };
  }
}

/** Trains one network, with or without batch norm; onStep is called after every step. */
export function trainNetwork(
  data: { train: Digits; test: Digits },
  options: TrainOptions & { batchNorm: boolean },
  onStep?: (step: number) => void,
): NetworkRun {
  const { steps: total, every, lr, seed, batchSize, initStd, probeUnit } = configOf(options);
  const net = new Network({ batchNorm: options.batchNorm, seed, initStd, backend: options.backend });
  const steps: number[] = [], testAcc: number[] = [], percentiles: Array<[number, number, number]> = [];
  let trainMs = 0, normMs = 0, evalMs = 0;
  const record = (step: number) => {
    const t = performance.now();
    net.train(false);
    steps.push(step);
    testAcc.push(accuracy(net, data.test));
    percentiles.push(figurePercentiles(net.sigmoidInput(HIDDEN_LAYERS - 1, probeUnit)));
    net.train(true);
    evalMs += performance.now() - t;
  };

  record(0);
  const batches = minibatches(data.train, batchSize, seed);
  for (let step = 1; step <= total; step++) {
    const { images, labels } = batches.next().value!;
    const t = performance.now(), norm0 = net.normMs;
    net.trainStep(images, labels, batchSize, lr);
    trainMs += performance.now() - t;
    normMs += net.normMs - norm0;
    if (step % every === 0 || step === total) record(step);
    onStep?.(step);
  }
  const k = testAcc.findIndex((a) => a >= 0.9);
  const batchStatsTestAcc = options.batchNorm ? batchStatsAccuracy(net, data.test, batchSize) : null;
  net.dispose();
  return { steps, testAcc, percentiles, stepsTo90: k < 0 ? null : steps[k], trainMs, normMs, evalMs, batchStatsTestAcc };
}

/** Puts the two networks' runs together (they record at the same steps). */
export function combine(plain: NetworkRun, bn: NetworkRun, config: Config, data: { train: Digits; test: Digits }): RunResult {
  const strip = ({ steps: _s, batchStatsTestAcc: _b, ...record }: NetworkRun): NetworkRecord => record;
  return {
    steps: plain.steps,
    plain: strip(plain),
    bn: { ...strip(bn), batchStatsTestAcc: bn.batchStatsTestAcc! },
    config: { ...config, train: data.train.count, test: data.test.count },
  };
}

/**
 * Trains both networks, one after the other, on this thread (what the tests use; `npm start`
 * runs the same two calls on two threads). onProgress gets the fraction done in [0, 1].
 */
export function runExperiment(data: { train: Digits; test: Digits }, options: TrainOptions, onProgress?: (fraction: number) => void): RunResult {
  const config = configOf(options);
  const plain = trainNetwork(data, { ...options, batchNorm: false }, (s) => onProgress?.(s / (2 * config.steps)));
  const bn = trainNetwork(data, { ...options, batchNorm: true }, (s) => onProgress?.(0.5 + s / (2 * config.steps)));
  return combine(plain, bn, config, data);
}
