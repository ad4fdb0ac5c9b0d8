// Every benchmarked path computes the right thing: each bench case runs once on tiny
// shapes and its outputs are checked against the pure-JS reference module (itself checked
// against PyTorch fixtures). Speed is not measured here.
import { describe, expect, it } from "vitest";
import { createBackend, createReferenceBackend } from "../src/index.js";
import type { Case, Outputs, Workload } from "../bench/case.js";
import { inputsFor } from "../bench/data.js";
import { batchNormModule } from "../bench/families/batchnorm.js";
import { FAMILIES } from "../bench/families/index.js";
import type { BenchContext } from "../bench/families/family.js";
import { prepareModule } from "../bench/runners/module.js";
import { loadTfjs } from "../bench/runners/tfjs-loader.js";
import { workload } from "../bench/workloads.js";
import { expectClose } from "./helpers/compare.js";

const TINY: readonly Workload[] = [
  workload([2, 3, 4, 5], "NCHW"),
  workload([2, 4, 5, 3], "NHWC"),
  workload([6, 4], "NCHW"),
];

const ctx: BenchContext = {
  simd: createBackend({ simd: true }),
  scalar: createBackend({ simd: false }),
  overheadLabels: TINY.map((w) => w.label),
};

/** What the reference module gives for the case's op on the same inputs. */
function expected(c: Case): Outputs {
  const w = c.workload;
  const inputs = inputsFor(w);
  if (c.op === "copy") return { copied: inputs.x };
  // The ReLU rows compute batch norm followed by a ReLU: the reference module with activation "relu".
  const activation = c.impl.includes("relu") ? "relu" : "none";
  const prepared = prepareModule(batchNormModule(w, inputs, activation), createReferenceBackend(), w, inputs, c.op, "array");
  const out = prepared.outputs();
  prepared.dispose();
  return out;
}

const KEYS = ["y", "dx", "dweight", "dbias", "copied"] as const;

for (const family of FAMILIES) {
  describe(`${family.name} bench cases`, () => {
    const all = TINY.flatMap((w) => family.cases(w, ctx));

    it("cover every implementation, op and workload", () => {
      const impls = new Set(all.map((c) => c.impl));
      for (const impl of ["copy", "simd-tensor", "simd-array", "scalar-tensor", "scalar-array", "simd-raw", "js-reference", "js-naive", "tfjs-wasm", "tfjs-cpu"]) {
        expect(impls.has(impl), impl).toBe(true);
      }
      expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
    });

    it.each(all.map((c) => [c.id, c] as const))("%s", async (_id, c) => {
      const tol = c.impl.startsWith("tfjs") ? 1e-4 : 1e-5;
      const prepared = await c.prepare();
      try {
        prepared.run(); // the timed call must not throw and must leave a usable state
        const got = prepared.outputs();
        const want = expected(c);
        const keys = KEYS.filter((k) => want[k] !== undefined);
        expect(keys.length).toBeGreaterThan(0);
        for (const k of keys) expectClose(got[k], want[k]!, tol, `${c.id} ${k}`);
      } finally {
        prepared.dispose();
      }
    });
  });
}

describe("TF.js paths", () => {
  it("leave no tensors behind", async () => {
    const tf = await loadTfjs();
    const c = FAMILIES[0].cases(TINY[1], ctx).find((k) => k.impl === "tfjs-wasm" && k.op === "trainBackward")!;
    const prepared = await c.prepare();
    const before = tf.memory().numTensors;
    prepared.run();
    prepared.outputs();
    expect(tf.memory().numTensors).toBe(before);
    prepared.dispose();
  });
});

describe("bench cases", () => {
  it("free the wasm memory they allocate (a long run does not leak)", () => {
    expect(ctx.simd.memoryStats().liveBytes).toBe(0);
    expect(ctx.scalar.memoryStats().liveBytes).toBe(0);
  });
});
