// TensorFlow.js on the same work. Channels-last shapes (NHWC, 2-D) use TF.js's own ops:
// tf.moments + tf.batchNorm. tf.batchNorm broadcasts its statistics over the last axis
// only, so NCHW shapes use moments with keepDims and broadcast arithmetic instead
// (y = x * scale + shift, per-channel scale and shift): no transposes. The backward is
// tf.valueAndGrads of the training forward, for x, weight and bias.
import type { OpName, Prepared, Workload } from "../case.js";
import type { Inputs } from "../data.js";
import { channelsOf } from "../workloads.js";
import { loadTfjs, useTfBackend, type Tf, type TfBackendName } from "./tfjs-loader.js";

type Tensor = import("@tensorflow/tfjs-core").Tensor;

function forwards(tf: Tf, w: Workload, eps: number) {
  const rank = w.shape.length;
  const C = channelsOf(w);
  const channelsLast = w.layout === "NHWC" || rank === 2;
  const axes = channelsLast ? [...Array(rank - 1).keys()] : [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
  const perChannel = (t: Tensor) => (channelsLast ? t : tf.reshape(t, [1, C, ...Array(rank - 2).fill(1)]));
  const train = (x: Tensor, weight: Tensor, bias: Tensor): Tensor => {
    if (channelsLast) {
      const { mean, variance } = tf.moments(x, axes);
      return tf.batchNorm(x, mean, variance, bias, weight, eps);
    }
    const { mean, variance } = tf.moments(x, axes, true);
    const scale = tf.mul(tf.rsqrt(tf.add(variance, eps)), perChannel(weight));
    return tf.add(tf.mul(x, scale), tf.sub(perChannel(bias), tf.mul(mean, scale)));
  };
  const infer = (x: Tensor, weight: Tensor, bias: Tensor, runMean: Tensor, runVar: Tensor): Tensor => {
    if (channelsLast) return tf.batchNorm(x, runMean, runVar, bias, weight, eps);
    const scale = tf.mul(tf.rsqrt(tf.add(perChannel(runVar), eps)), perChannel(weight));
    return tf.add(tf.mul(x, scale), tf.sub(perChannel(bias), tf.mul(perChannel(runMean), scale)));
  };
  return { train, infer };
}

export async function prepareTfjs(backend: TfBackendName, w: Workload, inputs: Inputs, op: OpName): Promise<Prepared> {
  const tf = await loadTfjs();
  await useTfBackend(tf, backend);
  const C = channelsOf(w);
  const shape = [...w.shape];
  const x = tf.tensor(inputs.x, shape, "float32");
  const dy = tf.tensor(inputs.dy, shape, "float32");
  const weight = tf.tensor1d(inputs.weight), bias = tf.tensor1d(inputs.bias);
  const runMean = tf.tensor1d(inputs.runningMean), runVar = tf.tensor1d(inputs.runningVar);
  const own = [x, dy, weight, bias, runMean, runVar];
  const f = forwards(tf, w, inputs.eps);
  const trainGrads = tf.valueAndGrads((xx: Tensor, ww: Tensor, bb: Tensor) => f.train(xx, ww, bb));

  /** The op's result tensors (inside a tidy scope of the caller). */
  const step = (): Tensor[] => {
    if (op === "train") return [f.train(x, weight, bias)];
    if (op === "infer") return [f.infer(x, weight, bias, runMean, runVar)];
    const { value, grads } = trainGrads([x, weight, bias], dy);
    return [value, ...grads];
  };
  return {
    run: () => tf.tidy(() => void step()),
    outputs: () => {
      const results = tf.tidy(() => step());
      const [y, dx, dweight, dbias] = results.map((t) => t.dataSync() as Float32Array);
      tf.dispose(results);
      if (dweight && dweight.length !== C) throw new Error(`TF.js dweight has ${dweight.length} values, expected ${C}`);
      return op === "trainBackward" ? { y, dx, dweight, dbias } : { y };
    },
    dispose: () => tf.dispose(own),
  };
}
