// The training loop: both networks (plain and batch norm) from the same initial weights,
// on the same minibatches in the same order, with the same learning rate. Every `every`
// steps it records each network's held-out accuracy and the percentiles of one fixed
// sigmoid's input over the held-out set (the fixed batch of Figure 1b/1c).

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
  /** Called after every step. */
  onStep?: (step: number) => void;
}

export interface NetworkRecord {
  testAcc: number[];
  /** [p15, p50, p85] of the probed sigmoid's input over the held-out set, per record. */
  percentiles: Array<[number, number, number]>;
  /** First recorded step at which held-out accuracy reached 90%, or null. */
  stepsTo90: number | null;
  /** Milliseconds of training steps (forward, backward, update), of which in BatchNorm1d. */
  trainMs: number;
  normMs: number;
}

export interface RunResult {
  steps: number[];
  bn: NetworkRecord & {
    /** Final held-out accuracy in training mode (batch statistics over minibatches of batchSize). */
    batchStatsTestAcc: number;
  };
  plain: NetworkRecord;
  /** Milliseconds spent recording (held-out forwards of both networks). */
  evalMs: number;
  config: Required<Omit<TrainOptions, "backend" | "onStep">> & { train: number; test: number };
}

export const DEFAULTS = { batchSize: 60, initStd: 0.1, probeUnit: 0 };

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

/** Trains both networks and returns what Figure 1 plots. */
export function runExperiment(data: { train: Digits; test: Digits }, options: TrainOptions): RunResult {
  const config = { ...DEFAULTS, ...options };
  const { steps: total, every, lr, seed, batchSize, initStd, probeUnit } = config;
  if (!Number.isInteger(total) || total < 1) throw new Error(`runExperiment: steps must be a positive integer, got ${total}`);
  if (!Number.isInteger(every) || every < 1) throw new Error(`runExperiment: every must be a positive integer, got ${every}`);
  if (!Number.isInteger(probeUnit) || probeUnit < 0 || probeUnit >= HIDDEN) throw new Error(`runExperiment: probeUnit must be an integer in [0, ${HIDDEN - 1}], got ${probeUnit}`);
  const { train, test } = data;

  const nets = {
    plain: new Network({ batchNorm: false, seed, initStd, backend: options.backend }),
    bn: new Network({ batchNorm: true, seed, initStd, backend: options.backend }),
  };
  const records = {
    plain: { testAcc: [] as number[], percentiles: [] as Array<[number, number, number]>, trainMs: 0, normMs: 0 },
    bn: { testAcc: [] as number[], percentiles: [] as Array<[number, number, number]>, trainMs: 0, normMs: 0 },
  };
  const steps: number[] = [];
  const record = (step: number) => {
    steps.push(step);
    for (const key of ["plain", "bn"] as const) {
      const net = nets[key].train(false);
      records[key].testAcc.push(accuracy(net, test));
      records[key].percentiles.push(figurePercentiles(net.sigmoidInput(HIDDEN_LAYERS - 1, probeUnit)));
      net.train(true);
    }
  };

  // Batch order: a fresh seeded shuffle of the training set each epoch, shared by both networks.
  const order = new Random(seed + 1);
  let perm = order.shuffle(Int32Array.from({ length: train.count }, (_, i) => i));
  let cursor = 0;
  const images = new Float32Array(batchSize * PIXELS);
  const labels = new Uint8Array(batchSize);

  let evalMs = 0;
  record(0);
  for (let step = 1; step <= total; step++) {
    if (cursor + batchSize > train.count) {
      perm = order.shuffle(perm);
      cursor = 0;
    }
    for (let n = 0; n < batchSize; n++) {
      const i = perm[cursor++];
      images.set(train.images.subarray(i * PIXELS, (i + 1) * PIXELS), n * PIXELS);
      labels[n] = train.labels[i];
    }
    for (const key of ["plain", "bn"] as const) {
      const t = performance.now();
      const norm0 = nets[key].normMs;
      nets[key].trainStep(images, labels, batchSize, lr);
      records[key].trainMs += performance.now() - t;
      records[key].normMs += nets[key].normMs - norm0;
    }
    if (step % every === 0 || step === total) {
      const t = performance.now();
      record(step);
      evalMs += performance.now() - t;
    }
    options.onStep?.(step);
  }

  const stepsTo90 = (acc: number[]) => {
    const k = acc.findIndex((a) => a >= 0.9);
    return k < 0 ? null : steps[k];
  };
  const result: RunResult = {
    steps,
    bn: {
      ...records.bn, stepsTo90: stepsTo90(records.bn.testAcc),
      batchStatsTestAcc: batchStatsAccuracy(nets.bn, test, batchSize),
    },
    plain: { ...records.plain, stepsTo90: stepsTo90(records.plain.testAcc) },
    evalMs,
    config: { steps: total, every, lr, seed, batchSize, initStd, probeUnit, train: train.count, test: test.count },
  };
  nets.plain.dispose();
  nets.bn.dispose();
  return result;
}
