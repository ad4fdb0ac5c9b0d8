// One BatchNorm2d training step on a backend, every number it produces in one array: run by
// the page on two threads and on one, and by the test in Node, so all three can be compared.
import { BatchNorm2d, type Backend } from "../../src/index.js";
import { addToDigest, readDigest, resetDigest } from "../helpers/digest.js";

export function step(backend: Backend): number[] {
  const shape = [2, 8, 9, 7], n = 2 * 8 * 9 * 7;
  const bn = new BatchNorm2d(8, { backend });
  const y = bn.forward(Float32Array.from({ length: n }, (_, i) => Math.sin(i)), shape);
  const g = bn.backward(Float32Array.from({ length: n }, (_, i) => Math.cos(i)));
  return [...y, ...g.dx, ...g.dweight!, ...g.dbias!, ...bn.runningMean!, ...bn.runningVar!];
}

/** The step's numbers as float64 bits (test/helpers/digest.ts). */
export function stepDigest(backend: Backend): string {
  resetDigest();
  addToDigest(step(backend));
  return readDigest();
}
