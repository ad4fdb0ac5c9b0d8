// createTfjsLayers (batchnorm-wasm/tfjs): our batchNormalization and layerNormalization
// against TF.js's own on the cpu and wasm backends. Whole models (a CNN with batch norm, an
// MLP with layer norm) built twice from the same initial weights and trained with model.fit
// on real digits; single layers over every axis layout in training and inference, forward,
// gradients and moving statistics; the config, weights and saved model; bad arguments.
//
// Tolerances: the two implementations round differently (TF.js: float32 ops; ours: float64
// statistics), so they drift apart by float32 rounding over training. Measured after 3
// epochs of 128 digits (12 SGD steps): weights within 1.4e-5 of each other (relative to the
// largest value of each weight) on wasm, 3e-7 on cpu, losses within 1e-6; asserted:
// weights 1e-4, losses 1%, outputs of the same weights 1e-5.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { createTfjsLayers } from "../src/tfjs/index.js";
import { digitCnn, digitMlp, digitTensors, type NormFactories } from "../bench/runners/tfjs-models.js";
import { expectClose } from "./helpers/compare.js";
import { gaussian, seededRandom } from "./helpers/random.js";
import { countingBackend, useTfBackend } from "./helpers/tfjs.js";

const OUTPUT_TOL = 1e-5;
const WEIGHT_TOL = 1e-4;
const LOSS_TOL = 0.01;

type Layer = tfl.layers.Layer;
type Sequential = tfl.Sequential;

const KERNELS = ["batchNormTrainForward", "batchNormEvalForward", "batchNormBackward", "layerNormForward", "layerNormBackward"];
const counted = countingBackend(...KERNELS);
const ours = createTfjsLayers(tf, tfl, { backend: counted.backend });
afterAll(() => ours.unregister());

const StockBatchNormalization = tfl.layers.batchNormalization({ name: "probe" }).constructor;
const StockLayerNormalization = tfl.layers.layerNormalization({ name: "probe" }).constructor;

function randomArray(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n }, () => gaussian(rand) * scale + offset);
}

const values = (t: tf.Tensor) => (t.dataSync() as Float32Array).slice();

/** Runs `f`, returning the number of calls it made of our kernels. */
function kernelCalls(f: () => void): number {
  const before = counted.calls();
  f();
  return counted.calls() - before;
}

async function fitBoth(build: (norms: NormFactories) => Sequential, x: tf.Tensor, y: tf.Tensor) {
  const stock = build(tfl.layers);
  const mine = build(ours);
  mine.setWeights(stock.getWeights());
  const losses: number[][] = [];
  let calls = 0;
  for (const model of [stock, mine]) {
    model.compile({ optimizer: tf.train.sgd(0.05), loss: "categoricalCrossentropy" });
    const before = counted.calls();
    const history = await model.fit(x, y, { epochs: 3, batchSize: 32, shuffle: false, verbose: 0 });
    if (model === mine) calls = counted.calls() - before;
    losses.push(history.history.loss as number[]);
  }
  return { stock, mine, losses, calls };
}

function expectSameWeights(a: Sequential, b: Sequential, tol: number, label: string): void {
  expect(b.weights.map((w) => [w.originalName, w.shape])).toEqual(a.weights.map((w) => [w.originalName, w.shape]));
  const wa = a.getWeights(), wb = b.getWeights();
  wa.forEach((w, i) => expectClose(values(wb[i]), values(w), tol, `${label} ${a.weights[i].originalName}`));
}

function expectSameLosses(losses: number[][]): void {
  const [stock, mine] = losses;
  expect(mine.length).toBe(stock.length);
  stock.forEach((l, i) => expect(Math.abs(mine[i] - l) / l, `epoch ${i + 1}: ${mine[i]} vs ${l}`).toBeLessThanOrEqual(LOSS_TOL));
  expect(stock[stock.length - 1], "the model learned").toBeLessThan(stock[0] * 0.9);
}

/** Predictions of a (trained) stock model and of ours with its weights: the inference path. */
function expectSamePredictions(stock: Sequential, mine: Sequential, x: tf.Tensor): void {
  mine.setWeights(stock.getWeights());
  const want = tf.tidy(() => values(stock.predict(x) as tf.Tensor));
  let got = new Float32Array();
  const calls = kernelCalls(() => (got = tf.tidy(() => values(mine.predict(x) as tf.Tensor))));
  expect(calls, "inference ran on our kernels").toBeGreaterThan(0);
  expectClose(got, want, OUTPUT_TOL, "predictions");
}

interface LayerCase {
  name: string;
  config: Record<string, unknown>;
  shape: number[];
  /**
   * TF.js's own layer fails here (batchNormalization's training gradient on an axis other
   * than the last; ranks above 4; gradients without center or scale): it runs with axis -1
   * on x transposed by `perm` or reshaped to rows of `rows` channels, its outputs taken back,
   * or with gamma 1 and beta 0 (`affine`).
   */
  stockView?: { perm?: number[]; rows?: number; affine?: boolean };
}

const BN_CASES: LayerCase[] = [
  { name: "rank 4, channels last (axis -1)", config: {}, shape: [3, 5, 4, 6] },
  { name: "rank 4, axis 1 (channels second)", config: { axis: 1 }, shape: [3, 4, 5, 5], stockView: { perm: [0, 2, 3, 1] } },
  { name: "rank 2, momentum 0.5, epsilon 1e-5", config: { momentum: 0.5, epsilon: 1e-5 }, shape: [16, 7] },
  { name: "rank 3, axis 1 of 3", config: { axis: 1, momentum: 0.8 }, shape: [2, 6, 5], stockView: { perm: [0, 2, 1] } },
  { name: "rank 5, channels last", config: { axis: 4 }, shape: [2, 3, 2, 2, 4], stockView: { rows: 4 } },
  { name: "rank 4, no center or scale", config: { center: false, scale: false }, shape: [2, 3, 3, 5], stockView: { affine: true } },
  { name: "rank 2, no center", config: { center: false }, shape: [9, 4], stockView: { affine: true } },
];

const LN_CASES: LayerCase[] = [
  { name: "rank 3, last axis", config: {}, shape: [4, 5, 8] },
  { name: "rank 3, axes [1, 2]", config: { axis: [1, 2] }, shape: [4, 3, 5] },
  { name: "rank 3, axis 1 (not trailing)", config: { axis: 1 }, shape: [4, 6, 3] },
  { name: "rank 3, axes [2, 1] (reversed)", config: { axis: [2, 1] }, shape: [2, 3, 4] },
  { name: "rank 2, no center or scale, epsilon 1e-5", config: { center: false, scale: false, epsilon: 1e-5 }, shape: [7, 10], stockView: { affine: true } },
  { name: "rank 3, no scale", config: { scale: false }, shape: [3, 2, 6], stockView: { affine: true } },
];

/** x as TF.js's own layer sees it in a case (`stockView`), and its outputs back. */
function viewOf(c: LayerCase, mine: boolean) {
  const v = mine ? undefined : c.stockView;
  const inverse = v?.perm?.map((_, i) => v.perm!.indexOf(i));
  return {
    config: v?.affine ? { ...c.config, center: true, scale: true } : v ? { ...c.config, axis: -1 } : c.config,
    into: (t: tf.Tensor) => (v?.perm ? tf.transpose(t, v.perm) : v?.rows ? tf.reshape(t, [-1, v.rows]) : t),
    back: (t: tf.Tensor) => (inverse ? tf.transpose(t, inverse) : v?.rows ? tf.reshape(t, c.shape) : t),
    shape: v?.perm ? v.perm.map((a) => c.shape[a]) : v?.rows ? [c.shape.reduce((a, b) => a * b, 1) / v.rows, v.rows] : c.shape,
  };
}

/** A stock layer and ours of one config, built for `shape`, with the same random weights (variances positive). */
function layerPair(factory: "batchNormalization" | "layerNormalization", c: LayerCase, seed: number): [Layer, Layer] {
  const pair = [false, true].map((mine) => {
    const view = viewOf(c, mine);
    const layer = (mine ? ours : tfl.layers)[factory]({ ...view.config, name: "norm" });
    layer.build(view.shape);
    return layer;
  });
  // Random values for the weights both have; one only TF.js's has (stockView.affine) keeps its initial 1 or 0.
  pair[1].weights.forEach((w, i) => {
    const shape = w.shape as number[];
    const v = randomArray(shape.reduce((a, b) => a * b, 1), seed + i, 0.5, 1);
    const t = tf.tensor(w.originalName.endsWith("variance") ? v.map(Math.abs) : v, shape);
    for (const layer of pair) layer.weights.find((u) => u.originalName === w.originalName)!.write(t);
    t.dispose();
  });
  return pair as unknown as [Layer, Layer];
}

/** y, the gradients of sum(y * dy) for x and every trainable weight, then every weight after the call (moving statistics included). */
function runLayer(layer: Layer, view: ReturnType<typeof viewOf>, x: tf.Variable, dy: tf.Tensor, training: boolean): Map<string, Float32Array> {
  const trainable = layer.trainableWeights;
  const vars = [x, ...trainable.map((w) => w.read() as tf.Variable)];
  let y = new Float32Array();
  const { value, grads } = tf.variableGrads(() => {
    const out = view.back(layer.apply(view.into(x), { training }) as tf.Tensor);
    y = values(out);
    return tf.sum(tf.mul(out, dy)) as tf.Scalar;
  }, vars);
  const out = new Map([["y", y], ["dx", values(grads[x.name])]]);
  trainable.forEach((w, i) => out.set(`gradient of ${w.originalName}`, values(grads[vars[i + 1].name])));
  for (const w of layer.weights) out.set(w.originalName, values(w.read()));
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

describe.each(["cpu", "wasm"])("createTfjsLayers on TF.js %s", (backendName) => {
  let digits: { images: tf.Tensor4D; labels: tf.Tensor2D };

  beforeAll(async () => {
    await useTfBackend(backendName);
    digits = digitTensors(tf, 128);
  });

  afterAll(() => tf.dispose([digits.images, digits.labels]));

  it("a CNN with batchNormalization trains as with TF.js's layers (model.fit, 3 epochs of 128 digits)", async () => {
    const { stock, mine, losses, calls } = await fitBoth((norms) => digitCnn(tfl, norms, backendName === "cpu"), digits.images, digits.labels);
    expect(calls, "training ran on our kernels").toBeGreaterThan(0);
    expectSameLosses(losses);
    expectSameWeights(stock, mine, WEIGHT_TOL, "trained");
    expectSamePredictions(stock, mine, digits.images);
    stock.dispose();
    mine.dispose();
  });

  it("an MLP with layerNormalization trains as with TF.js's layers (model.fit, 3 epochs of 128 digits)", async () => {
    const flat = tf.reshape(digits.images, [128, 784]);
    const { stock, mine, losses, calls } = await fitBoth((norms) => digitMlp(tfl, norms), flat, digits.labels);
    expect(calls, "training ran on our kernels").toBeGreaterThan(0);
    expectSameLosses(losses);
    expectSameWeights(stock, mine, WEIGHT_TOL, "trained");
    expectSamePredictions(stock, mine, flat);
    stock.dispose();
    mine.dispose();
    flat.dispose();
  });

  describe.each([
    ["batchNormalization", BN_CASES],
    ["layerNormalization", LN_CASES],
  ] as const)("%s", (factory, cases) => {
    it.each(cases.map((c) => [c.name, c] as const))("%s: outputs, gradients and moving statistics, training and inference", (_n, c) => {
      const size = c.shape.reduce((a, b) => a * b, 1);
      const x = tf.variable(tf.tensor(randomArray(size, 11, 2, 0.5), c.shape));
      const dy = tf.tensor(randomArray(size, 12), c.shape);
      const [stock, mine] = layerPair(factory, c, 20);
      for (const training of [true, false, true]) {
        const want = runLayer(stock, viewOf(c, false), x, dy, training);
        let got = new Map<string, Float32Array>();
        expect(kernelCalls(() => (got = runLayer(mine, viewOf(c, true), x, dy, training))), "our kernels ran").toBeGreaterThan(0);
        expect(got.size).toBeGreaterThanOrEqual(2);
        for (const [key, g] of got) expectClose(g, want.get(key)!, OUTPUT_TOL, `${c.name}, training ${training}: ${key}`);
      }
      for (const layer of [stock, mine]) layer.weights.forEach((w) => w.dispose());
      tf.dispose([x, dy]);
    });
  });

  it("leave no tensors behind, in TF.js or in the kernels' memory, in training and inference", () => {
    const model = digitCnn(tfl, ours, backendName === "cpu");
    const x = tf.slice(digits.images, [0, 0, 0, 0], [8, -1, -1, -1]);
    const before = tf.memory().numTensors;
    for (const training of [true, false]) tf.tidy(() => void model.apply(x, { training }));
    const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.sum(model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, trainable);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    expect(counted.backend.memoryStats().liveBytes).toBe(0);
    model.dispose();
    x.dispose();
  });
});

/** What model.save hands a save handler. */
async function saved(model: Sequential): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  return artifacts!;
}

describe("createTfjsLayers: config, weights, serialization", () => {
  beforeAll(() => useTfBackend("cpu"));

  const CONFIGS: ReadonlyArray<readonly ["batchNormalization" | "layerNormalization", Record<string, unknown>, number[]]> = [
    ["batchNormalization", {}, [2, 5, 5, 3]],
    ["batchNormalization", { axis: 1, momentum: 0.9, epsilon: 1e-5, center: false, betaInitializer: "ones" }, [2, 3, 4]],
    ["batchNormalization", { scale: false, betaConstraint: "nonNeg", movingVarianceInitializer: "zeros" }, [4, 6]],
    ["layerNormalization", {}, [2, 5, 8]],
    ["layerNormalization", { axis: [1, 2], epsilon: 1e-6, scale: false, betaInitializer: "ones" }, [2, 3, 4]],
  ];

  it.each(CONFIGS.map(([f, c, s]) => [`${f} ${JSON.stringify(c)}`, f, c, s] as const))(
    "%s: the same getConfig, weights (names, order, shapes, trainable) and class name as TF.js's",
    (_n, factory, config, shape) => {
      const stock = tfl.layers[factory]({ ...config, name: "norm" });
      const mine = ours[factory]({ ...config, name: "norm" });
      expect(mine.getConfig()).toEqual(stock.getConfig());
      expect(mine.getClassName()).toBe(stock.getClassName());
      expect(mine).toBeInstanceOf(stock.constructor);
      expect(mine.constructor).not.toBe(stock.constructor);
      stock.build(shape);
      mine.build(shape);
      const describeWeights = (l: Layer) => l.weights.map((w) => [w.originalName, w.shape, w.trainable]);
      expect(describeWeights(mine)).toEqual(describeWeights(stock));
      expect(mine.getConfig()).toEqual(stock.getConfig());
      for (const layer of [stock, mine]) layer.weights.forEach((w) => w.dispose());
    },
  );

  it("model.save writes what TF.js's layers write; tf.loadLayersModel loads it back with our layers", async () => {
    const stock = digitCnn(tfl, tfl.layers, true);
    const mine = digitCnn(tfl, ours, true);
    mine.setWeights(stock.getWeights());
    const [a, b] = [await saved(stock), await saved(mine)];
    expect(b.modelTopology).toEqual(a.modelTopology);
    expect(b.weightSpecs).toEqual(a.weightSpecs);
    expect(new Uint8Array(b.weightData as ArrayBuffer)).toEqual(new Uint8Array(a.weightData as ArrayBuffer));

    const x = digitTensors(tf, 16).images;
    const want = tf.tidy(() => values(stock.predict(x) as tf.Tensor));
    for (const artifacts of [a, b]) {
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
      const norms = loaded.layers.filter((l) => l.getClassName() === "BatchNormalization");
      expect(norms.length).toBe(2);
      for (const layer of norms) expect(layer.constructor, layer.name).not.toBe(StockBatchNormalization);
      let got = new Float32Array();
      expect(kernelCalls(() => (got = tf.tidy(() => values(loaded.predict(x) as tf.Tensor))))).toBeGreaterThan(0);
      expectClose(got, want, OUTPUT_TOL, "loaded model's predictions");
      loaded.dispose();
    }
    const mlp = digitMlp(tfl, ours);
    const loadedMlp = await tfl.loadLayersModel(tf.io.fromMemory(await saved(mlp)));
    const lns = loadedMlp.layers.filter((l) => l.getClassName() === "LayerNormalization");
    expect(lns.length).toBe(2);
    for (const layer of lns) expect(layer.constructor).not.toBe(StockLayerNormalization);
    [stock, mine, mlp, loadedMlp].forEach((m) => m.dispose());
    x.dispose();
  });

  it("unregister puts TF.js's classes back in its serialization map, once", async () => {
    const other = createTfjsLayers(tf, tfl);
    const model = digitMlp(tfl, other);
    const artifacts = await saved(model);
    other.unregister();
    ours.unregister();
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
    for (const layer of loaded.layers.filter((l) => l.getClassName() === "LayerNormalization")) {
      expect(layer.constructor).toBe(StockLayerNormalization);
    }
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    expect(map.BatchNormalization[0]).toBe(StockBatchNormalization);
    other.unregister();
    expect(map.BatchNormalization[0]).toBe(StockBatchNormalization);
    // Ours again for the other tests.
    const again = createTfjsLayers(tf, tfl, { backend: counted.backend });
    expect(map.BatchNormalization[0]).not.toBe(StockBatchNormalization);
    again.unregister();
    tf.serialization.SerializationMap.register(ours.batchNormalization({ name: "probe" }).constructor as never);
    tf.serialization.SerializationMap.register(ours.layerNormalization({ name: "probe" }).constructor as never);
    [model, loaded].forEach((m) => m.dispose());
  });

  it("bad config or arguments: a clear Error, before anything is made or registered", () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    const registered = map.BatchNormalization[0];
    expect(() => ours.batchNormalization({ momentum: 2 })).toThrow(/^batchNormalization: momentum must be a number in \[0, 1\], got 2$/);
    expect(() => ours.batchNormalization({ epsilon: -1 })).toThrow(/^batchNormalization: epsilon must be a finite number >= 0, got -1$/);
    expect(() => ours.batchNormalization({ axis: 1.5 })).toThrow(/^batchNormalization: axis must be an integer, got 1.5$/);
    expect(() => ours.batchNormalization({ axis: [1] } as never)).toThrow(/^batchNormalization: axis must be an integer, got \[1\]$/);
    expect(() => ours.batchNormalization({ center: "yes" } as never)).toThrow(/^batchNormalization: center must be true or false, got "yes"$/);
    expect(() => ours.batchNormalization("x" as never)).toThrow(/^batchNormalization: config must be an object, got "x"$/);
    expect(() => ours.layerNormalization({ axis: [] })).toThrow(/^layerNormalization: axis must be an integer or a non-empty array of integers, got \[\]$/);
    expect(() => ours.layerNormalization({ scale: 1 } as never)).toThrow(/^layerNormalization: scale must be true or false, got 1$/);
    expect(() => ours.layerNormalization({ epsilon: Number.NaN })).toThrow(/^layerNormalization: epsilon must be a finite number >= 0, got NaN$/);
    expect(() => createTfjsLayers({} as never, tfl)).toThrow(/^createTfjsLayers: tfc must be the TensorFlow.js core namespace/);
    expect(() => createTfjsLayers(tf, {} as never)).toThrow(/^createTfjsLayers: tfl must be TensorFlow.js layers/);
    expect(() => createTfjsLayers(tf, { layers: {} } as never)).toThrow(/^createTfjsLayers: tfl must be TensorFlow.js layers .*tfl.layers.batchNormalization/);
    expect(() => createTfjsLayers(tf, tfl, { threads: 2 } as never)).toThrow(/^createTfjsLayers: unknown option "threads" \(expected backend\)$/);
    expect(() => createTfjsLayers(tf, tfl, { backend: {} as never })).toThrow(/^createTfjsLayers: backend must come from createBackend\(\)/);
    expect(map.BatchNormalization[0]).toBe(registered);
    const layer = tfl.layers.batchNormalization();
    expect(() => layer.apply(tf.zeros([2, 3]), { training: true })).not.toThrow();
    layer.dispose();
  });
});
