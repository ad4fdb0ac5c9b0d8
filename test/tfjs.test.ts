// batchnorm-wasm/tfjs: tf.batchNorm with and without the adapter (TF.js is the reference),
// a tf.layers model's predictions, the fallback for full-shape parameters, and unregister.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { registerTfjsKernels } from "../src/tfjs/index.js";
import { expectClose } from "./helpers/compare.js";
import { gaussian, seededRandom } from "./helpers/random.js";
import { countingBackend, useTfBackend } from "./helpers/tfjs.js";

const TOL = 1e-5;

function randomArray(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n }, () => gaussian(rand) * scale + offset);
}

interface Case {
  name: string;
  xShape: number[];
  /** Shape of mean / variance / offset / scale. */
  paramShape: number[];
  eps?: number;
  /** false: parameters that are not per channel, which go to TF.js's own kernel. */
  ours: boolean;
  offsetScale?: boolean;
}

const CASES: Case[] = [
  { name: "rank 2, per-channel [C], default eps", xShape: [37, 6], paramShape: [6], ours: true },
  { name: "rank 2, custom eps 1e-5", xShape: [16, 10], paramShape: [10], eps: 1e-5, ours: true },
  { name: "rank 3, per-channel [C]", xShape: [3, 7, 5], paramShape: [5], ours: true },
  { name: "rank 3, broadcast [1, 1, C], eps 0.1", xShape: [3, 7, 5], paramShape: [1, 1, 5], eps: 0.1, ours: true },
  { name: "rank 4, per-channel [C]", xShape: [2, 6, 5, 8], paramShape: [8], ours: true },
  { name: "rank 4, broadcast [1, 1, 1, C], custom eps 1e-4", xShape: [2, 4, 3, 16], paramShape: [1, 1, 1, 16], eps: 1e-4, ours: true },
  { name: "rank 4, one value for all channels [1]", xShape: [2, 3, 3, 4], paramShape: [1], ours: true },
  { name: "rank 4, no offset or scale", xShape: [2, 3, 3, 4], paramShape: [4], ours: true, offsetScale: false },
  { name: "rank 1 (one row)", xShape: [9], paramShape: [9], ours: true },
  { name: "rank 2, full-shape parameters (TF.js's kernel)", xShape: [5, 3], paramShape: [5, 3], ours: false },
  { name: "rank 4, full-shape parameters (TF.js's kernel)", xShape: [2, 3, 4, 5], paramShape: [2, 3, 4, 5], eps: 1e-5, ours: false },
  { name: "rank 3, parameters over two axes (TF.js's kernel)", xShape: [2, 3, 4], paramShape: [1, 3, 4], ours: false },
];

function batchNormOf(c: Case, seed: number): Float32Array {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const x = tf.tensor(randomArray(size(c.xShape), seed, 2, 0.5), c.xShape);
  const p = (k: number, scale: number, offset: number, abs = false) => {
    const v = randomArray(size(c.paramShape), seed + k, scale, offset);
    return tf.tensor(abs ? v.map(Math.abs) : v, c.paramShape);
  };
  const mean = p(1, 0.5, 0.2), variance = p(2, 0.5, 1, true);
  const withAffine = c.offsetScale ?? true;
  const offset = withAffine ? p(3, 1, 0) : undefined, scale = withAffine ? p(4, 0.5, 1) : undefined;
  const y = tf.batchNorm(x, mean, variance, offset, scale, c.eps);
  const values = y.dataSync() as Float32Array;
  tf.dispose([x, mean, variance, offset!, scale!, y].filter(Boolean));
  return values.slice();
}

describe("registerTfjsKernels (batchnorm-wasm/tfjs)", () => {
  beforeAll(async () => {
    await useTfBackend("cpu");
  });

  describe.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    it.each(["cpu", "wasm"])("tf.batchNorm agrees with TF.js's own kernel on the %s backend", async (tfBackend) => {
      await useTfBackend(tfBackend);
      const expected = batchNormOf(c, 100);
      const { backend, calls } = countingBackend("batchNormEvalForward");
      const unregister = registerTfjsKernels(tf, { backend, backends: [tfBackend] });
      try {
        const actual = batchNormOf(c, 100);
        expect(calls(), c.ours ? "our kernel ran" : "TF.js's kernel ran").toBe(c.ours ? 1 : 0);
        if (c.ours) expectClose(actual, expected, TOL, c.name);
        else expect(Array.from(actual)).toEqual(Array.from(expected));
      } finally {
        unregister();
      }
    });
  });

  describe("a tf.layers model with batchNormalization", () => {
    let model: tfl.Sequential;
    let input: tf.Tensor;

    beforeAll(() => {
      model = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ inputShape: [6, 6, 3], filters: 8, kernelSize: 3, padding: "same", useBias: false }),
          tfl.layers.batchNormalization(),
          tfl.layers.activation({ activation: "relu" }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 16 }),
          tfl.layers.batchNormalization({ epsilon: 1e-5 }),
          tfl.layers.dense({ units: 4 }),
        ],
      });
      // Moving statistics and parameters far from their initial values, so the batch norm matters.
      let seed = 200;
      for (const layer of model.layers) {
        if (layer.getClassName() !== "BatchNormalization") continue;
        // gamma, beta, moving mean, moving variance (positive).
        const weights = layer.getWeights().map((w, i) => {
          const v = randomArray(w.size, seed++, 0.5, 1);
          return tf.tensor(i === 3 ? v.map(Math.abs) : v, w.shape);
        });
        layer.setWeights(weights);
        tf.dispose(weights);
      }
      input = tf.tensor(randomArray(4 * 6 * 6 * 3, 300), [4, 6, 6, 3]);
    });

    afterAll(() => {
      input.dispose();
      model.dispose();
    });

    it("predicts the same with and without the adapter, running this package's kernels", async () => {
      await useTfBackend("cpu");
      const predict = () => {
        const y = model.predict(input) as tf.Tensor;
        const values = (y.dataSync() as Float32Array).slice();
        y.dispose();
        return values;
      };
      const expected = predict();
      const { backend, calls } = countingBackend("batchNormEvalForward");
      const unregister = registerTfjsKernels(tf, { backend });
      let actual: Float32Array;
      try {
        actual = predict();
      } finally {
        unregister();
      }
      expect(calls(), "both batchNormalization layers ran on our kernels").toBe(2);
      expectClose(actual, expected, TOL, "predictions");
      expect(Array.from(predict())).toEqual(Array.from(expected));
    });
  });

  it("unregister restores the original kernel, once", async () => {
    await useTfBackend("cpu");
    const original = tf.getKernel("FusedBatchNorm", "cpu");
    expect(original).toBeDefined();
    const { backend, calls } = countingBackend("batchNormEvalForward");
    const unregister = registerTfjsKernels(tf, { backend });
    expect(tf.getKernel("FusedBatchNorm", "cpu")).not.toBe(original);
    unregister();
    expect(tf.getKernel("FusedBatchNorm", "cpu")).toBe(original);
    const c = CASES[0];
    batchNormOf(c, 1);
    expect(calls(), "no call reaches our kernels after unregister").toBe(0);
    unregister();
    expect(tf.getKernel("FusedBatchNorm", "cpu")).toBe(original);
  });

  it("bad arguments: a clear Error, and nothing registered", () => {
    const original = tf.getKernel("FusedBatchNorm", "cpu");
    expect(() => registerTfjsKernels({} as never)).toThrow(/registerTfjsKernels: tf must be the TensorFlow\.js namespace/);
    expect(() => registerTfjsKernels(tf, { backends: ["cpu", "webgl"] }))
      .toThrow(/registerTfjsKernels: TF\.js has no FusedBatchNorm kernel for backend "webgl": import its package/);
    expect(() => registerTfjsKernels(tf, { backends: [] })).toThrow(/backends must be a non-empty array/);
    expect(() => registerTfjsKernels(tf, { backends: ["cpu", "cpu"] })).toThrow(/backends must not repeat a name/);
    expect(() => registerTfjsKernels(tf, { backend: {} as never })).toThrow(/backend must come from createBackend\(\)/);
    expect(() => registerTfjsKernels(tf, { threads: 2 } as never)).toThrow(/unknown option "threads"/);
    expect(tf.getKernel("FusedBatchNorm", "cpu")).toBe(original);
  });
});

describe("packaging of the TF.js adapter", () => {
  const root = join(import.meta.dirname, "..");
  const sources = (readdirSync(join(root, "src"), { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts"))
    .map((f) => ({ file: f, text: readFileSync(join(root, "src", f), "utf8") }));
  const imports = (text: string) => [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]);

  it("no source file imports TF.js, and the root entry's files never import the adapter", () => {
    expect(sources.length).toBeGreaterThan(20);
    for (const { file, text } of sources) {
      for (const spec of imports(text)) {
        expect(spec.startsWith("@tensorflow/"), `${file} imports ${spec}`).toBe(false);
        if (!file.startsWith("tfjs")) expect(/(^|\/)tfjs(\/|\.js$)/.test(spec), `${file} imports ${spec}`).toBe(false);
      }
    }
  });

  it("TF.js is an optional peer dependency only, and ./tfjs an export of its own", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(pkg.dependencies ?? {}).toEqual({});
    const peers = Object.keys(pkg.peerDependencies ?? {});
    expect(peers.length).toBeGreaterThan(0);
    for (const name of peers) {
      expect(name.startsWith("@tensorflow/")).toBe(true);
      expect(pkg.peerDependenciesMeta?.[name]?.optional, `${name} optional`).toBe(true);
    }
    expect(JSON.stringify(pkg.exports["./tfjs"])).toContain("tfjs/index");
  });
});
