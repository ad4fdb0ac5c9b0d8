import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { registerTfjsKernels } from "../../src/tfjs/index.js";

await tf.setBackend("cpu");
const x = tf.randomNormal([8, 16, 16, 32]);                       // channels last: (N, H, W, C)
const mean = tf.randomNormal([32]), variance = tf.randomUniform([32], 0.5, 2);
const offset = tf.randomNormal([32]), scale = tf.randomNormal([32]);
const theirs = tf.batchNorm(x, mean, variance, offset, scale, 1e-3);

const unregister = registerTfjsKernels(tf);                       // { backends: ["cpu"] } by default
const ours = tf.batchNorm(x, mean, variance, offset, scale, 1e-3); // runs on batchnorm-wasm's kernels
unregister();                                                     // TF.js's own kernel again

const diff = tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0];
console.log(`tf.batchNorm with and without the adapter: max |difference| ${diff.toExponential(1)}`);
