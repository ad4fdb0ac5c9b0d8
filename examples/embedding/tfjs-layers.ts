import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { createTfjsLayers } from "../../src/tfjs/index.js";

await tf.setBackend("cpu");
const layers = createTfjsLayers(tf, tfl);          // or createTfjsLayers(tf, tf) with @tensorflow/tfjs
const model = tfl.sequential({
  layers: [
    tfl.layers.dense({ inputShape: [16], units: 32 }),
    layers.batchNormalization(),                    // was tfl.layers.batchNormalization(): same config
    tfl.layers.activation({ activation: "relu" }),
    tfl.layers.dense({ units: 16 }),
    layers.layerNormalization({ epsilon: 1e-5 }),   // was tfl.layers.layerNormalization({ epsilon: 1e-5 })
    tfl.layers.dense({ units: 1 }),
  ],
});
model.compile({ optimizer: tf.train.sgd(0.05), loss: "meanSquaredError" });
const x = tf.randomNormal([256, 16]);
const y = tf.sum(x, 1, true);
const history = await model.fit(x, y, { epochs: 5, batchSize: 32, verbose: 0 }); // forward and gradients on our kernels
const loss = history.history.loss as number[];
console.log(`loss ${loss[0].toFixed(3)} -> ${loss[loss.length - 1].toFixed(3)}`);
