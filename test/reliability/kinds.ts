// Every module kind of the package with an input shape, and a scenario that drives every
// module kind and functional op: the shared subjects of the determinism and isolation suites.
import {
  BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LayerNorm, RMSNorm,
  addLayerNorm, addLayerNormBackward, addRmsNorm, addRmsNormBackward, batchNorm, batchNormBackward, batchNormRelu,
  batchNormReluBackward, groupNorm, groupNormBackward, instanceNorm, instanceNormBackward, layerNorm, layerNormBackward, rmsNorm,
  rmsNormBackward, tensor, type Backend,
} from "../../src/index.js";
import { gaussian, seededRandom } from "../helpers/random.js";

export type AnyModule =
  | BatchNorm1d | BatchNorm2d | BatchNorm3d | LayerNorm | GroupNorm | InstanceNorm1d | InstanceNorm2d | InstanceNorm3d | RMSNorm;

export interface ModuleKind {
  /** The name errors start with. */
  readonly name: string;
  /** A label for test titles (name plus options). */
  readonly label: string;
  make(backend: Backend): AnyModule;
  /** A valid input shape; `long` crosses the kernels' chunk boundaries. */
  readonly shape: number[];
  readonly long: number[];
  /** Shapes of the right size that the module refuses: wrong rank, wrong channel count. */
  readonly wrongRank: number[];
  readonly wrongChannels: number[];
}

export const MODULE_KINDS: ModuleKind[] = [
  {
    name: "BatchNorm1d", label: "BatchNorm1d (N, C, L), momentum null", make: (backend) => new BatchNorm1d(3, { backend, momentum: null }),
    shape: [4, 3, 5], long: [700, 3, 7], wrongRank: [4, 3, 5, 1], wrongChannels: [4, 5, 3],
  },
  {
    name: "BatchNorm2d", label: "BatchNorm2d NCHW", make: (backend) => new BatchNorm2d(3, { backend }),
    shape: [2, 3, 4, 5], long: [2, 3, 50, 45], wrongRank: [2, 3, 20], wrongChannels: [2, 5, 4, 3],
  },
  {
    name: "BatchNorm2d", label: "BatchNorm2d NHWC relu keras", make: (backend) => new BatchNorm2d(3, { backend, layout: "NHWC", activation: "relu", convention: "keras" }),
    shape: [2, 4, 5, 3], long: [2, 13, 11, 3], wrongRank: [2, 20, 3], wrongChannels: [2, 3, 4, 5],
  },
  {
    name: "BatchNorm3d", label: "BatchNorm3d onnx, no affine", make: (backend) => new BatchNorm3d(3, { backend, convention: "onnx", affine: false }),
    shape: [2, 3, 2, 3, 4], long: [1, 3, 11, 13, 17], wrongRank: [2, 3, 6, 4], wrongChannels: [2, 4, 3, 3, 2],
  },
  {
    name: "LayerNorm", label: "LayerNorm [4, 5]", make: (backend) => new LayerNorm([4, 5], { backend }),
    shape: [3, 4, 5], long: [2, 3, 4, 5], wrongRank: [60], wrongChannels: [3, 5, 4],
  },
  {
    name: "LayerNorm", label: "LayerNorm 2053, bias false", make: (backend) => new LayerNorm(2053, { backend, bias: false }),
    shape: [2, 2053], long: [3, 2053], wrongRank: [4106], wrongChannels: [2053, 2],
  },
  {
    name: "GroupNorm", label: "GroupNorm 2 groups of 2", make: (backend) => new GroupNorm(2, 4, { backend }),
    shape: [2, 4, 5], long: [2, 4, 700], wrongRank: [40], wrongChannels: [2, 5, 4],
  },
  {
    name: "InstanceNorm1d", label: "InstanceNorm1d tracked", make: (backend) => new InstanceNorm1d(3, { backend, trackRunningStats: true }),
    shape: [2, 3, 5], long: [2, 3, 3000], wrongRank: [2, 3, 5, 1], wrongChannels: [2, 5, 3],
  },
  {
    name: "InstanceNorm2d", label: "InstanceNorm2d affine tracked", make: (backend) => new InstanceNorm2d(3, { backend, affine: true, trackRunningStats: true }),
    shape: [2, 3, 4, 5], long: [1, 3, 47, 49], wrongRank: [2, 3, 20], wrongChannels: [2, 5, 4, 3],
  },
  {
    name: "InstanceNorm3d", label: "InstanceNorm3d affine", make: (backend) => new InstanceNorm3d(3, { backend, affine: true }),
    shape: [2, 3, 2, 3, 4], long: [1, 3, 13, 11, 17], wrongRank: [2, 3, 24], wrongChannels: [2, 4, 3, 3, 2],
  },
  {
    name: "RMSNorm", label: "RMSNorm [4, 5]", make: (backend) => new RMSNorm([4, 5], { backend }),
    shape: [3, 4, 5], long: [2, 3, 4, 5], wrongRank: [60], wrongChannels: [3, 5, 4],
  },
  {
    name: "RMSNorm", label: "RMSNorm 2053, no weight", make: (backend) => new RMSNorm(2053, { backend, elementwiseAffine: false }),
    shape: [2, 2053], long: [3, 2053], wrongRank: [4106], wrongChannels: [2053, 2],
  },
];

export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function values(n: number, seed: number, mean = 0, std = 1): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n }, () => mean + std * gaussian(rand));
}

/** Sets a module's parameters to seeded values (so they are not the initial ones). */
export function setParams(m: AnyModule, seed: number): void {
  if (m.weight) m.weight.set(values(m.weight.length, seed, 1, 0.3));
  if (m.bias) m.bias.set(values(m.bias.length, seed + 1));
}

function take(v: unknown): Float32Array {
  if (v instanceof Float32Array) return v;
  const t = v as { data: Float32Array; dispose(): void };
  const data = t.data.slice();
  t.dispose();
  return data;
}

/**
 * Every output of a fixed sequence of calls on `backend`: each module kind (train steps on
 * both shapes, an eval step, backward after each, through arrays or tensors) and each
 * functional op with its backward. The arrays are copies.
 */
export function scenario(backend: Backend, useTensors: boolean): Array<Float32Array | Float64Array> {
  const out: Array<Float32Array | Float64Array> = [];
  MODULE_KINDS.forEach((kind, k) => {
    const m = kind.make(backend);
    setParams(m, 10 * k);
    for (const [step, shape] of [[0, kind.shape], [1, kind.long], [2, kind.shape]] as const) {
      m.train(step < 2);
      const x = values(sizeOf(shape), 100 * k + step, step - 1, 2);
      const dy = values(sizeOf(shape), 100 * k + step + 50);
      // Tensors: x must live until the backward (it is read in place).
      const xt = useTensors ? tensor(shape, x, { backend }) : null;
      const dyt = useTensors ? tensor(shape, dy, { backend }) : null;
      out.push(take(xt ? m.forward(xt) : m.forward(x, shape)));
      const g = dyt ? m.backward(dyt) : m.backward(dy);
      out.push(take(g.dx));
      if (g.dweight) out.push(g.dweight);
      if (g.dbias) out.push(g.dbias);
      for (const [, v] of Object.entries(m.stateDict())) if (v instanceof Float32Array) out.push(v);
      xt?.dispose();
      dyt?.dispose();
    }
    m.dispose();
  });
  const shape = [3, 4, 131], x = values(sizeOf(shape), 7, 3), dy = values(sizeOf(shape), 8);
  const w4 = values(4, 9, 1), b4 = values(4, 10), w131 = values(131, 11, 1);
  const rm = new Float32Array(4), rv = new Float32Array(4).fill(1);
  const bn = batchNorm(x, shape, { training: true, weight: w4, bias: b4, runningMean: rm, runningVar: rv, backend });
  const bnr = batchNormRelu(x, shape, { training: true, weight: w4, bias: b4, backend });
  const ln = layerNorm(x, shape, 131, { weight: w131, backend });
  const gn = groupNorm(x, shape, 2, { weight: w4, bias: b4, backend });
  const inn = instanceNorm(x, shape, { weight: w4, runningMean: rm, runningVar: rv, backend });
  out.push(bn.y, bn.saveMean, bn.saveInvstd, rm, rv, bnr.y, ln.y, ln.saveMean, ln.saveInvstd, gn.y, gn.saveInvstd, inn.y, inn.saveInvstd);
  const grads = [
    batchNormBackward(dy, x, shape, { training: true, weight: w4, saveMean: bn.saveMean, saveInvstd: bn.saveInvstd, backend }),
    batchNormReluBackward(dy, x, shape, { training: true, weight: w4, bias: b4, saveMean: bnr.saveMean, saveInvstd: bnr.saveInvstd, backend }),
    layerNormBackward(dy, x, shape, 131, { weight: w131, backend }),
    groupNormBackward(dy, x, shape, 2, { weight: w4, saveMean: gn.saveMean, saveInvstd: gn.saveInvstd, backend }),
    instanceNormBackward(dy, x, shape, { weight: w4, backend }),
  ];
  for (const g of grads) out.push(g.dx, g.dweight!, g.dbias!);
  const rms = rmsNorm(x, shape, 131, { weight: w131, backend });
  const aln = addLayerNorm(x, dy, shape, 131, { weight: w131, addBias: w131, backend });
  const arn = addRmsNorm(x, dy, shape, 131, { weight: w131, backend });
  out.push(rms.y, rms.saveInvRms, aln.y, aln.sum, aln.saveMean, aln.saveInvstd, arn.y, arn.sum, arn.saveInvRms);
  const rg = rmsNormBackward(dy, x, shape, 131, { weight: w131, saveInvRms: rms.saveInvRms, backend });
  const alg = addLayerNormBackward(dy, aln.sum, shape, 131, { dsum: x, weight: w131, backend });
  const arg = addRmsNormBackward(dy, arn.sum, shape, 131, { dsum: x, weight: w131, saveInvRms: arn.saveInvRms, backend });
  out.push(rg.dx, rg.dweight!, alg.dx, alg.dweight!, alg.dbias, alg.daddBias, arg.dx, arg.dweight!, arg.daddBias);
  return out.map((a) => a.slice());
}
