import { BatchNorm1d, foldBatchNorm } from "../../src/index.js";

// A linear layer (3 -> 4, weight (out, in) as in torch.nn.Linear) followed by a trained batch norm.
const weight = Float32Array.from([0.5, -1, 2, 1, 0, -0.5, 0.25, 0.75, 1, -2, 1, 0.5]);
const bias = Float32Array.from([0.1, 0.2, -0.3, 0]);
const bn = new BatchNorm1d(4);
bn.runningMean!.set([0.5, -1, 0.2, 2]);
bn.runningVar!.set([2, 0.5, 1, 4]);
bn.weight!.set([1.5, 0.5, -1, 2]);
bn.eval();

// Fold the batch norm into the linear layer: one layer at inference, same outputs.
const folded = foldBatchNorm(bn, { weight, bias, kind: "linear" });
// Convolutions: foldBatchNorm(bn2d, { weight: convWeight, bias: null, kind: "conv", layout: "OIHW" }) ("HWIO" for TF.js filters).

const x = Float32Array.from([1, -2, 0.5, 0, 3, -1]);             // 2 samples of 3 features
const linear = (w: Float32Array, b: Float32Array) =>
  Float32Array.from({ length: 8 }, (_, k) => b[k % 4] + [0, 1, 2].reduce((s, i) => s + x[(k >> 2) * 3 + i] * w[(k % 4) * 3 + i], 0));
const expected = bn.forward(linear(weight, bias), [2, 4]);
const got = linear(folded.weight, folded.bias);
console.log(`folded linear vs linear + eval batch norm: max |difference| ${Math.max(...got.map((v, i) => Math.abs(v - expected[i]))).toExponential(1)}`);
