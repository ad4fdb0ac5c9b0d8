// tf.layers' normalization in training, TF.js's own layer against createTfjsLayers' (issue
// 16): one layer's training forward (the moving update included) and its backward for x,
// gamma and beta, given dy (tf.engine().gradients: no loss ops around the layer); and one
// model.fit epoch of the digit CNN (bench/runners/tfjs-models.ts), conv frozen on both TF.js
// backends so that both do the same work (TF.js wasm has no Conv2DBackpropFilter).
import { createTfjsLayers } from "../../src/tfjs/index.js";
import type { OpName, Outputs, Prepared, Workload } from "../case.js";
import type { Inputs } from "../data.js";
import { loadTfjsLayers, useTfBackend, type Tf, type Tfl, type TfBackendName } from "./tfjs-loader.js";
import { digitCnn, digitTensors, type NormFactories } from "./tfjs-models.js";

type Tensor = import("@tensorflow/tfjs-core").Tensor;

/** TF.js's own layers, or ours. */
export type LayerImpl = "stock" | "ours";

let ours: NormFactories | null = null;

/** One createTfjsLayers for the run (on the default backend of this package). */
function factories(tf: Tf, tfl: Tfl, impl: LayerImpl): NormFactories {
  return impl === "stock" ? tfl.layers : (ours ??= createTfjsLayers(tf, tfl));
}

export interface LayerParams {
  readonly kind: "batchNormalization" | "layerNormalization";
  /** gamma and beta (one per channel / feature), then for batch norm the moving mean and variance. */
  readonly weights: readonly Float32Array[];
}

export async function prepareTfjsLayer(
  backend: TfBackendName, impl: LayerImpl, p: LayerParams, w: Workload, inputs: Inputs, op: OpName,
): Promise<Prepared> {
  if (op !== "trainBackward") throw new Error(`bench: the layer rows time training forward + backward, not ${op}`);
  const { tf, tfl } = await loadTfjsLayers();
  await useTfBackend(tf, backend);
  const shape = [...w.shape];
  const layer = factories(tf, tfl, impl)[p.kind]({ epsilon: inputs.eps });
  layer.build(shape);
  const weights = p.weights.map((v) => tf.tensor1d(v));
  layer.setWeights(weights);
  tf.dispose(weights);
  const x = tf.tensor(inputs.x, shape, "float32");
  const dy = tf.tensor(inputs.dy, shape, "float32");
  const xs = [x, ...layer.trainableWeights.map((v) => v.read())];
  const step = (): Tensor[] => {
    const { value, grads } = tf.engine().gradients(() => layer.apply(x, { training: true }) as Tensor, xs, dy);
    return [value, ...grads];
  };
  return {
    run: () => tf.tidy(() => void step()),
    outputs: () => {
      const results = tf.tidy(() => step());
      const [y, dx, dweight, dbias] = results.map((t) => (t.dataSync() as Float32Array).slice());
      tf.dispose(results);
      return { y, dx, dweight, dbias };
    },
    dispose: () => {
      tf.dispose([x, dy]);
      for (const v of layer.weights) v.dispose();
    },
  };
}

/**
 * One model.fit epoch (batches of 32, in order) of the digit CNN on w.shape[0] digits, from
 * the same initial weights every call. outputs(): the predictions after one such epoch,
 * taken when prepared.
 */
export async function prepareCnnEpoch(backend: TfBackendName, impl: LayerImpl, w: Workload): Promise<Prepared> {
  const { tf, tfl } = await loadTfjsLayers();
  await useTfBackend(tf, backend);
  const model = digitCnn(tfl, factories(tf, tfl, impl), false);
  model.compile({ optimizer: tf.train.sgd(0.05), loss: "categoricalCrossentropy" });
  const initial = model.getWeights().map((t) => tf.clone(t));
  const { images, labels } = digitTensors(tf, w.shape[0]);
  const epoch = async () => {
    model.setWeights(initial);
    await model.fit(images, labels, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
  };
  await epoch();
  const y = tf.tidy(() => (model.predict(images) as Tensor).dataSync() as Float32Array).slice();
  return {
    run: epoch,
    outputs: (): Outputs => ({ y }),
    dispose: () => {
      tf.dispose([...initial, images, labels]);
      model.dispose();
    },
  };
}

/** The four rows of each layer workload: TF.js's layer and ours on each TF.js backend (implementation keys). */
export const LAYER_ROWS: ReadonlyArray<{ readonly backend: TfBackendName; readonly impl: LayerImpl; readonly key: string }> =
  (["cpu", "wasm"] as const).flatMap((backend) =>
    (["stock", "ours"] as const).map((impl) => ({ backend, impl, key: `tfjs-${backend}-layer${impl === "ours" ? "-ours" : ""}` })));
