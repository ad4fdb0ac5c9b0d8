// The small digit models of the TF.js layers' parity test and bench: a CNN with batch norm
// (4-D after the conv, 2-D after a dense layer) and an MLP with layer norm, built from
// whichever normalization factories are passed: TF.js's own (tfl.layers) or
// createTfjsLayers'. Every layer is named, so two builds have the same weight names and
// the same saved topology; the kernels' initializers are seeded, so every build starts from
// the same weights.
import { loadSplit, PIXELS } from "../../examples/mnist/data.js";

type Tf = typeof import("@tensorflow/tfjs-core");
type Tfl = typeof import("@tensorflow/tfjs-layers");
type Sequential = import("@tensorflow/tfjs-layers").Sequential;

export interface NormFactories {
  batchNormalization: Tfl["layers"]["batchNormalization"];
  layerNormalization: Tfl["layers"]["layerNormalization"];
}

/**
 * conv 3x3 / 2 (8 filters) -> batch norm -> relu -> max pool -> dense 32 -> batch norm ->
 * relu -> dense 10 -> softmax, on [28, 28, 1] digits. trainConv false freezes the conv:
 * TF.js's wasm backend has no Conv2DBackpropFilter kernel, and the first layer frozen needs
 * none (nothing trainable is before it).
 */
export function digitCnn(tfl: Tfl, norms: NormFactories, trainConv: boolean): Sequential {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  return tfl.sequential({
    name: "digit_cnn",
    layers: [
      tfl.layers.conv2d({ name: "conv", inputShape: [28, 28, 1], filters: 8, kernelSize: 3, strides: 2, useBias: false, trainable: trainConv, kernelInitializer: init(1) }),
      norms.batchNormalization({ name: "bn_conv" }),
      tfl.layers.activation({ name: "relu_conv", activation: "relu" }),
      tfl.layers.maxPooling2d({ name: "pool", poolSize: 2 }),
      tfl.layers.flatten({ name: "flatten" }),
      tfl.layers.dense({ name: "hidden", units: 32, useBias: false, kernelInitializer: init(2) }),
      norms.batchNormalization({ name: "bn_hidden", momentum: 0.9 }),
      tfl.layers.activation({ name: "relu_hidden", activation: "relu" }),
      tfl.layers.dense({ name: "out", units: 10, activation: "softmax", kernelInitializer: init(3) }),
    ],
  });
}

/** dense 64 -> layer norm -> relu -> dense 32 -> layer norm (epsilon 1e-5) -> relu -> dense 10 -> softmax, on 784 pixels. */
export function digitMlp(tfl: Tfl, norms: NormFactories): Sequential {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  return tfl.sequential({
    name: "digit_mlp",
    layers: [
      tfl.layers.dense({ name: "hidden1", inputShape: [PIXELS], units: 64, kernelInitializer: init(1) }),
      norms.layerNormalization({ name: "ln1" }),
      tfl.layers.activation({ name: "relu1", activation: "relu" }),
      tfl.layers.dense({ name: "hidden2", units: 32, kernelInitializer: init(2) }),
      norms.layerNormalization({ name: "ln2", epsilon: 1e-5 }),
      tfl.layers.activation({ name: "relu2", activation: "relu" }),
      tfl.layers.dense({ name: "out", units: 10, activation: "softmax", kernelInitializer: init(3) }),
    ],
  });
}

/** `count` digits of the mnist package (a seeded split's first ones) as images [count, 28, 28, 1] and one-hot labels [count, 10]. */
export function digitTensors(tf: Tf, count: number, seed = 1): { images: import("@tensorflow/tfjs-core").Tensor4D; labels: import("@tensorflow/tfjs-core").Tensor2D } {
  const { train } = loadSplit(seed, count);
  return tf.tidy(() => ({
    images: tf.tensor4d(train.images, [count, 28, 28, 1]),
    labels: tf.cast(tf.oneHot(tf.tensor1d(train.labels, "int32"), 10), "float32") as import("@tensorflow/tfjs-core").Tensor2D,
  }));
}
