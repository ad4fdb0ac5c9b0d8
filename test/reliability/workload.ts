// A long mixed workload for the memory tests: forward / backward calls of every module kind
// and functional op over changing shapes, through plain arrays and tensors, with modules
// created and disposed along the way. Seeded, so a run is reproducible.
import {
  BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm, RMSNorm, addLayerNorm, addLayerNormBackward, addRmsNorm,
  addRmsNormBackward, batchNorm, batchNormBackward, groupNorm, groupNormBackward, instanceNorm, instanceNormBackward, layerNorm,
  layerNormBackward, rmsNorm, rmsNormBackward, tensor, type Backend,
} from "../../src/index.js";
import { gaussian, seededRandom } from "../helpers/random.js";

type Module = BatchNorm1d | BatchNorm2d | LayerNorm | GroupNorm | InstanceNorm2d | RMSNorm;

/** One call's inputs and what it returned, for a spot check against the reference. */
export interface Call {
  readonly op: string;
  readonly shape: number[];
  readonly x: Float32Array;
  readonly dy: Float32Array;
  /** Replays the call on another backend (fresh module, same state as this one had). */
  readonly replay: (backend: Backend) => { y: Float32Array; dx: Float32Array };
  readonly y: Float32Array;
  readonly dx: Float32Array;
}

export interface WorkloadStats {
  calls: number;
  modulesCreated: number;
  modulesDisposed: number;
  tensorsCreated: number;
}

/** A module kind: how to make one for C channels, and a shape for it. */
interface Kind {
  readonly name: string;
  make(backend: Backend, C: number): Module;
  shape(rand: () => number, C: number, big: boolean): number[];
}

const pick = (rand: () => number, n: number) => Math.floor(rand() * n);
const dim = (rand: () => number, max: number) => 1 + pick(rand, max);

const KINDS: Kind[] = [
  { name: "BatchNorm2d", make: (backend, C) => new BatchNorm2d(C, { backend }), shape: (r, C, big) => [dim(r, big ? 8 : 4) + 1, C, dim(r, big ? 40 : 9), dim(r, big ? 40 : 9)] },
  { name: "BatchNorm2d NHWC relu", make: (backend, C) => new BatchNorm2d(C, { backend, layout: "NHWC", activation: "relu" }), shape: (r, C, big) => [dim(r, 4) + 1, dim(r, big ? 40 : 7), dim(r, big ? 40 : 7), C] },
  { name: "BatchNorm1d", make: (backend, C) => new BatchNorm1d(C, { backend, momentum: null }), shape: (r, C, big) => [dim(r, big ? 2000 : 60) + 1, C] },
  { name: "LayerNorm", make: (backend, C) => new LayerNorm(C, { backend }), shape: (r, C, big) => [dim(r, big ? 500 : 20), C] },
  { name: "GroupNorm", make: (backend, C) => new GroupNorm(C % 2 === 0 ? 2 : 1, C, { backend }), shape: (r, C, big) => [dim(r, 4), C, dim(r, big ? 60 : 8), dim(r, 8) + 1] },
  { name: "InstanceNorm2d", make: (backend, C) => new InstanceNorm2d(C, { backend, affine: true, trackRunningStats: true }), shape: (r, C, big) => [dim(r, 4), C, dim(r, big ? 60 : 8) + 1, dim(r, 8) + 1] },
  { name: "RMSNorm", make: (backend, C) => new RMSNorm(C, { backend }), shape: (r, C, big) => [dim(r, big ? 500 : 20), C] },
];

function values(rand: () => number, n: number, mean: number): Float32Array {
  return Float32Array.from({ length: n }, () => mean + gaussian(rand));
}

function take(v: unknown): Float32Array {
  if (v instanceof Float32Array) return v;
  const t = v as { data: Float32Array; dispose(): void };
  const data = t.data.slice();
  t.dispose();
  return data;
}

/** A forward / backward pair through a module, by arrays or tensors (tensors disposed). */
function moduleStep(m: Module, x: Float32Array, dy: Float32Array, shape: number[], tensors: boolean, stats: WorkloadStats) {
  if (!tensors) {
    const y = m.forward(x, shape);
    return { y, dx: m.backward(dy).dx };
  }
  const xt = tensor(shape, x, { backend: m.backend }), dyt = tensor(shape, dy, { backend: m.backend });
  stats.tensorsCreated += 2;
  const y = take(m.forward(xt));
  const dx = take(m.backward(dyt).dx);
  xt.dispose();
  dyt.dispose();
  return { y, dx };
}

/** The functional ops, each a forward and its backward fed the forward's saved statistics. */
const FUNCTIONAL: Array<{ name: string; shape: (r: () => number) => number[]; run: (backend: Backend, x: Float32Array | ReturnType<typeof tensor>, dy: Float32Array, shape: number[]) => { y: unknown; dx: unknown } }> = [
  {
    name: "batchNorm", shape: (r) => [dim(r, 6) + 1, dim(r, 9), dim(r, 11)],
    run: (backend, x, dy, shape) => {
      const C = shape[1];
      const f = batchNorm(x as Float32Array, shape, { training: true, backend, runningMean: new Float32Array(C), runningVar: new Float32Array(C).fill(1) });
      const g = batchNormBackward(dy, x, shape, { training: true, saveMean: f.saveMean, saveInvstd: f.saveInvstd, backend });
      return { y: f.y, dx: g.dx };
    },
  },
  {
    name: "layerNorm", shape: (r) => [dim(r, 9), dim(r, 5), dim(r, 40)],
    run: (backend, x, dy, shape) => {
      const f = layerNorm(x as Float32Array, shape, shape[2], { backend });
      return { y: f.y, dx: layerNormBackward(dy, x, shape, shape[2], { backend, saveMean: f.saveMean, saveInvstd: f.saveInvstd }).dx };
    },
  },
  {
    name: "groupNorm", shape: (r) => [dim(r, 5), 2 * dim(r, 4), dim(r, 30) + 1],
    run: (backend, x, dy, shape) => {
      const f = groupNorm(x as Float32Array, shape, 2, { backend });
      return { y: f.y, dx: groupNormBackward(dy, x, shape, 2, { backend }).dx };
    },
  },
  {
    name: "rmsNorm", shape: (r) => [dim(r, 9), dim(r, 5), dim(r, 40)],
    run: (backend, x, dy, shape) => {
      const f = rmsNorm(x as Float32Array, shape, shape[2], { backend });
      return { y: f.y, dx: rmsNormBackward(dy, x, shape, shape[2], { backend, saveInvRms: f.saveInvRms }).dx };
    },
  },
  {
    // dy doubles as the residual and as dsum.
    name: "addLayerNorm", shape: (r) => [dim(r, 9), dim(r, 40)],
    run: (backend, x, dy, shape) => {
      const f = addLayerNorm(x as Float32Array, dy, shape, shape[1], { backend });
      const g = addLayerNormBackward(dy, f.sum, shape, shape[1], { dsum: dy, backend, saveMean: f.saveMean, saveInvstd: f.saveInvstd });
      if (typeof (f.sum as { dispose?: unknown }).dispose === "function") (f.sum as unknown as { dispose(): void }).dispose();
      return { y: f.y, dx: g.dx };
    },
  },
  {
    name: "addRmsNorm", shape: (r) => [dim(r, 9), dim(r, 40)],
    run: (backend, x, dy, shape) => {
      const f = addRmsNorm(x as Float32Array, dy, shape, shape[1], { backend });
      const g = addRmsNormBackward(dy, f.sum, shape, shape[1], { dsum: dy, backend });
      if (typeof (f.sum as { dispose?: unknown }).dispose === "function") (f.sum as unknown as { dispose(): void }).dispose();
      return { y: f.y, dx: g.dx };
    },
  },
  {
    name: "instanceNorm", shape: (r) => [dim(r, 5), dim(r, 6), dim(r, 30) + 1],
    run: (backend, x, dy, shape) => {
      const f = instanceNorm(x as Float32Array, shape, { backend });
      return { y: f.y, dx: instanceNormBackward(dy, x, shape, { backend, saveMean: f.saveMean, saveInvstd: f.saveInvstd }).dx };
    },
  },
];

/**
 * Runs `calls` forward + backward pairs on `backend`. Every `checkEvery`-th call is handed to
 * `check` with a replay for another backend; `tick` sees the backend after every call. At
 * the end every module is disposed.
 */
export function runWorkload(
  backend: Backend, calls: number, seed: number, checkEvery: number, check: (call: Call) => void,
  tick: (i: number) => void = () => {},
): WorkloadStats {
  const rand = seededRandom(seed);
  const stats: WorkloadStats = { calls: 0, modulesCreated: 0, modulesDisposed: 0, tensorsCreated: 0 };
  /** Live modules per kind, at most 3 each; one is replaced now and then. */
  const pools: Array<Array<{ m: Module; C: number }>> = KINDS.map(() => []);
  for (let i = 0; i < calls; i++) {
    const big = rand() < 0.02;
    const tensors = rand() < 0.4;
    const useModule = rand() < 0.7;
    let call: Call;
    if (useModule) {
      const k = pick(rand, KINDS.length), kind = KINDS[k], pool = pools[k];
      if (pool.length < 3 || rand() < 0.05) {
        if (pool.length >= 3) {
          pool.splice(pick(rand, pool.length), 1)[0].m.dispose();
          stats.modulesDisposed++;
        }
        const C = dim(rand, 12);
        pool.push({ m: kind.make(backend, C), C });
        stats.modulesCreated++;
      }
      const { m, C } = pool[pick(rand, pool.length)];
      const shape = kind.shape(rand, C, big);
      const size = shape.reduce((a, b) => a * b, 1);
      const x = values(rand, size, rand() * 4), dy = values(rand, size, 0);
      // Mostly training; now and then an eval step (running statistics, frozen backward).
      m.train(rand() < 0.8);
      const state = m.stateDict();
      const training = m.training;
      const { y, dx } = moduleStep(m, x, dy, shape, tensors, stats);
      call = {
        op: kind.name, shape, x, dy, y, dx,
        replay: (other) => {
          const fresh = kind.make(other, C);
          fresh.loadStateDict(state);
          fresh.train(training);
          const r = { y: fresh.forward(x, shape), dx: fresh.backward(dy).dx };
          fresh.dispose();
          return r;
        },
      };
    } else {
      const f = FUNCTIONAL[pick(rand, FUNCTIONAL.length)];
      const shape = f.shape(rand);
      const size = shape.reduce((a, b) => a * b, 1);
      const x = values(rand, size, rand() * 4), dy = values(rand, size, 0);
      const xIn = tensors ? tensor(shape, x, { backend }) : x;
      if (tensors) stats.tensorsCreated++;
      const out = f.run(backend, xIn, dy, shape);
      const y = take(out.y), dx = take(out.dx);
      if (xIn !== x) (xIn as { dispose(): void }).dispose();
      call = {
        op: f.name, shape, x, dy, y, dx,
        replay: (other) => {
          const r = f.run(other, x, dy, shape);
          return { y: take(r.y), dx: take(r.dx) };
        },
      };
    }
    stats.calls++;
    if (i % checkEvery === 0) check(call);
    tick(i);
  }
  for (const pool of pools) for (const { m } of pool) {
    m.dispose();
    stats.modulesDisposed++;
  }
  return stats;
}
