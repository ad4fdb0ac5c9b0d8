import { BatchNorm2d, batchNormRelu, batchNormReluBackward } from "../../src/index.js";

const shape = [8, 16, 12, 12], n = 8 * 16 * 144;
const x = Float32Array.from({ length: n }, () => Math.random() * 4 - 1), dy = Float32Array.from({ length: n }, () => Math.random());

// A ReLU fused into batch norm: y = max(batchNorm(x), 0) in one pass over memory, and a
// backward that masks dy where y was 0 (recomputed from x, y is never read).
const bn = new BatchNorm2d(16, { activation: "relu" });
const y = bn.forward(x, shape);
const { dx, dweight, dbias } = bn.backward(dy);

// The functional form, as ATen's batch_norm followed by relu.
const r = batchNormRelu(x, shape, { training: true });
const g = batchNormReluBackward(dy, x, shape, { training: true, saveMean: r.saveMean, saveInvstd: r.saveInvstd });

const zeros = y.filter((v) => v === 0).length / n;
const same = r.y.every((v, i) => v === y[i]) && g.dx.every((v, i) => v === dx[i]);
console.log(`batchNormRelu: ${(100 * zeros).toFixed(0)}% of y clamped to 0; module and functional agree: ${same}; dweight[0] ${dweight![0].toFixed(3)}, dbias[0] ${dbias![0].toFixed(3)}`);
