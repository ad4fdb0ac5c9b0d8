// batchnorm-wasm/tfjs reads TF.js tensors into the kernels' memory in slices where the
// backend takes a range (read.ts): every slice lands at its offset, a backend that answers
// with the whole tensor is taken whole, and an answer of any other length is refused.
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { readInto, SLICE } from "../src/tfjs/read.js";
import type { TfjsKernelBackend } from "../src/tfjs/types.js";
import { useTfBackend } from "./helpers/tfjs.js";

const values = (n: number) => Float32Array.from({ length: n }, (_, i) => i * 0.5 - 7);

/** A backend over `data` that records each readSync's range; `answer` decides what it returns. */
function fakeBackend(data: Float32Array, answer: (start: number, end: number) => Float32Array) {
  const ranges: Array<[number | undefined, number | undefined]> = [];
  const backend: TfjsKernelBackend = {
    readSync: (_id, start, end) => (ranges.push([start, end]), answer(start ?? 0, end ?? data.length)),
    write: () => ({}),
  };
  return { backend, ranges };
}

describe("readInto", () => {
  const n = 2 * SLICE + 5;
  const data = values(n);

  it("reads a backend that takes ranges slice by slice, each at its offset", () => {
    const { backend, ranges } = fakeBackend(data, (s, e) => data.slice(s, e));
    const into = new Float32Array(n).fill(NaN);
    readInto(backend, {}, into);
    expect(into).toEqual(data);
    expect(ranges).toEqual([[0, SLICE], [SLICE, 2 * SLICE], [2 * SLICE, n]]);
  });

  it("takes a backend's whole answer to the first slice as the tensor", () => {
    const { backend, ranges } = fakeBackend(data, () => data);
    const into = new Float32Array(n);
    readInto(backend, {}, into);
    expect(into).toEqual(data);
    expect(ranges).toHaveLength(1);
  });

  it("refuses an answer that is neither the slice nor the whole tensor", () => {
    const { backend } = fakeBackend(data, (s, e) => data.slice(s, e - 1));
    expect(() => readInto(backend, {}, new Float32Array(n))).toThrow(/readSync\(dataId, 0, 65536\) gave 65535 values, expected 65536 or all 131077/);
  });

  it.each(["wasm", "cpu"])("reads a TF.js %s tensor of 2.5 slices as dataSync does", async (name) => {
    await useTfBackend(name);
    const t = tf.tensor(values(SLICE * 2.5), [SLICE * 2.5], "float32");
    const into = new Float32Array(t.size);
    readInto(tf.backend() as unknown as TfjsKernelBackend, t.dataId, into);
    expect(into).toEqual(t.dataSync());
    t.dispose();
  });
});
