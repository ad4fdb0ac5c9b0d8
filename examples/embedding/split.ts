import {
  BatchNorm2d, batchNormStats, batchNormGatherStats, batchNormElemt, batchNormBackwardReduce, batchNormBackwardElemt,
} from "../../src/index.js";

// One batch of 8 samples in two uneven shards (on two workers, in practice).
const C = 4, random = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
const shards = [3, 5].map((n) => ({ x: random(n * C * 36), dy: random(n * C * 36), shape: [n, C, 6, 6] }));
const weight = random(C), bias = random(C);

// Forward: statistics per shard, merged with their counts (Chan's formula, float64), then
// every shard normalized with the merged ones. The running statistics are updated PyTorch's way.
const runningMean = new Float32Array(C), runningVar = new Float32Array(C).fill(1);
const stats = shards.map((s) => batchNormStats(s.x, s.shape));      // { mean, var, count } per shard
const g = batchNormGatherStats(stats, { eps: 1e-5, momentum: 0.1, runningMean, runningVar });
const ys = shards.map((s) => batchNormElemt(s.x, s.shape, { mean: g.mean, invstd: g.invstd, weight, bias }));

// Backward: sum(dy) and sum(dy * (x - mean)) per shard, summed over the shards, then each
// shard's dx with the count of the whole batch.
const parts = shards.map((s) => batchNormBackwardReduce(s.dy, s.x, s.shape, { mean: g.mean, invstd: g.invstd }));
const sum = (key: "sumDy" | "sumDyXmu") => parts.reduce((t, p) => t.map((v, c) => v + p[key][c]), new Float64Array(C));
const [sumDy, sumDyXmu] = [sum("sumDy"), sum("sumDyXmu")];
const dxs = shards.map((s) =>
  batchNormBackwardElemt(s.dy, s.x, s.shape, { mean: g.mean, invstd: g.invstd, weight, sumDy, sumDyXmu, count: g.count }));

// The same as one BatchNorm2d on the whole batch.
const bn = new BatchNorm2d(C);
bn.weight!.set(weight);
bn.bias!.set(bias);
const join = (parts: Float32Array[]) => Float32Array.from(parts.flatMap((p) => Array.from(p)));
const y = bn.forward(join(shards.map((s) => s.x)), [8, C, 6, 6]);
const { dx } = bn.backward(join(shards.map((s) => s.dy)));
const worst = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
console.log(`split vs whole batch: y ${worst(join(ys), y).toExponential(1)}, dx ${worst(join(dxs), dx).toExponential(1)}, ` +
  `running var ${worst(runningVar, bn.runningVar!).toExponential(1)}`);
