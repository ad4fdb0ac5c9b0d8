// Isolation: modules interleaved on one backend, and backends interleaved with each other,
// never see each other's buffers; and a refused call (a bad argument of the core list)
// throws an Error naming the call, changes no state, leaks no memory and leaves the module
// usable, for every module kind.
import { describe, expect, it } from "vitest";
import {
  BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm, batchNorm, batchNormBackward, batchNormRelu, batchNormReluBackward,
  createBackend, groupNorm, groupNormBackward, instanceNorm, instanceNormBackward, layerNorm, layerNormBackward, tensor,
  type Backend,
} from "../../src/index.js";
import { MODULE_KINDS, setParams, sizeOf, values, type AnyModule, type ModuleKind } from "./kinds.js";

const BUILDS = [["simd", true], ["scalar", false]] as const;

/** A module's outputs over a fixed sequence of steps, run one step at a time by `step(i)`. */
function stepper(m: AnyModule, kind: ModuleKind, seed: number) {
  const outputs: unknown[] = [];
  const shapes = [kind.shape, kind.long, kind.shape];
  return {
    outputs,
    steps: shapes.length,
    step(i: number) {
      const shape = shapes[i];
      m.train(i < 2);
      const x = values(sizeOf(shape), seed + i, 1, 2), dy = values(sizeOf(shape), seed + i + 50);
      outputs.push(m.forward(x, shape), m.backward(dy), m.stateDict());
    },
  };
}

/** Runs A and B one step each in turn. */
function interleave(a: ReturnType<typeof stepper>, b: ReturnType<typeof stepper>) {
  for (let i = 0; i < Math.max(a.steps, b.steps); i++) {
    if (i < a.steps) a.step(i);
    if (i < b.steps) b.step(i);
  }
}

function solo(kind: ModuleKind, simd: boolean, seed: number) {
  const m = kind.make(createBackend({ simd }));
  setParams(m, seed);
  const s = stepper(m, kind, seed);
  for (let i = 0; i < s.steps; i++) s.step(i);
  return s.outputs;
}

describe.each(BUILDS)("%s build", (_name, simd) => {
  it.each(MODULE_KINDS.map((k, i) => [k.label, i] as const))("%s: interleaved with another module on the same backend and on another backend", (_label, i) => {
    const kind = MODULE_KINDS[i], other = MODULE_KINDS[(i + 3) % MODULE_KINDS.length];
    const shared = createBackend({ simd });
    for (const otherBackend of [shared, createBackend({ simd })]) {
      const a = kind.make(shared), b = other.make(otherBackend);
      setParams(a, 1);
      setParams(b, 2);
      const sa = stepper(a, kind, 1), sb = stepper(b, other, 2);
      interleave(sa, sb);
      expect(sa.outputs).toEqual(solo(kind, simd, 1));
      expect(sb.outputs).toEqual(solo(other, simd, 2));
      a.dispose();
      b.dispose();
    }
  });

  it("tensors of one backend stay attached and unchanged while another backend grows", () => {
    const one = createBackend({ simd }), two = createBackend({ simd });
    const t = tensor([2, 3, 4, 5], values(120, 3), { backend: one });
    const view = t.data;
    const m = new BatchNorm2d(3, { backend: one });
    const y = m.forward(t);
    const yView = y.data, yCopy = yView.slice();
    const big = tensor([8 << 20], undefined, { backend: two }); // 32 MiB in the other memory
    expect(view.length).toBe(120);
    expect(view).toEqual(values(120, 3));
    expect(yView).toEqual(yCopy);
    // A module of the other backend refuses this backend's tensor.
    expect(() => new BatchNorm2d(3, { backend: two }).forward(t)).toThrow(/x is a tensor of another backend's memory/);
    for (const x of [big, y, t]) x.dispose();
  });
});

/** Everything observable about a module. */
function observe(m: AnyModule) {
  return {
    state: m.stateDict(),
    training: m.training,
    weight: m.weight?.slice() ?? null,
    bias: m.bias?.slice() ?? null,
    batches: "numBatchesTracked" in m ? m.numBatchesTracked : null,
  };
}

/** The bad calls of the core list for a module of `kind` whose last forward had `shape`. */
function refusals(kind: ModuleKind, m: AnyModule, backend: Backend, foreign: Backend): Array<[string, () => unknown]> {
  const { shape } = kind, n = sizeOf(shape);
  const x = values(n, 5);
  const sd = m.stateDict() as Record<string, unknown>;
  const firstArray = Object.keys(sd).find((k) => sd[k] instanceof Float32Array);
  // Made up front, so the memory check below sees only what the refused calls allocate.
  const foreignX = tensor(shape, x, { backend: foreign }), flatDy = tensor([1, n], x, { backend });
  const list: Array<[string, () => unknown]> = [
    ["x as a number[]", () => m.forward(Array.from(x) as never, shape)],
    ["x as a Float64Array", () => m.forward(Float64Array.from(x) as never, shape)],
    ["x null", () => m.forward(null as never, shape)],
    ["no shape", () => m.forward(x, undefined as never)],
    ["length not the shape's size", () => m.forward(x.subarray(1), shape)],
    ["a dimension of 0", () => m.forward(x, [0, ...shape.slice(1)])],
    ["a fractional dimension", () => m.forward(x, [shape[0] + 0.5, ...shape.slice(1)])],
    ["a NaN dimension", () => m.forward(x, [Number.NaN, ...shape.slice(1)])],
    ["wrong rank", () => m.forward(values(sizeOf(kind.wrongRank), 6), kind.wrongRank)],
    ["wrong channel count", () => m.forward(values(sizeOf(kind.wrongChannels), 6), kind.wrongChannels)],
    ["a tensor of another backend", () => m.forward(foreignX)],
    ["dy of another length", () => m.backward(values(n + 1, 7))],
    ["dy as a number[]", () => m.backward(Array.from(x) as never)],
    ["dy a tensor of another shape", () => m.backward(flatDy)],
    ["train('yes')", () => m.train("yes" as never)],
    ["loadStateDict with an unknown key", () => m.loadStateDict({ ...sd, extra: new Float32Array(1) } as never)],
    ["loadStateDict not an object", () => m.loadStateDict(null as never)],
  ];
  if (firstArray) {
    const short = (sd[firstArray] as Float32Array).length - 1;
    list.push([`loadStateDict with ${firstArray} too short`, () => m.loadStateDict({ ...sd, [firstArray]: new Float32Array(short) } as never)]);
    const { [firstArray]: _dropped, ...missing } = sd;
    list.push([`loadStateDict without ${firstArray}`, () => m.loadStateDict(missing as never)]);
  }
  if ("num_batches_tracked" in sd) {
    list.push(["loadStateDict with num_batches_tracked -1", () => m.loadStateDict({ ...sd, num_batches_tracked: -1 } as never)]);
  }
  return list;
}

describe.each(BUILDS)("%s build: refused calls", (_name, simd) => {
  it.each(MODULE_KINDS.map((k, i) => [k.label, i] as const))("%s: each bad call throws an Error naming it and changes nothing", (_label, i) => {
    const kind = MODULE_KINDS[i];
    const backend = createBackend({ simd }), foreign = createBackend({ simd });
    const m = kind.make(backend);
    setParams(m, 3);
    m.forward(values(sizeOf(kind.long), 1, 2), kind.long);
    m.backward(values(sizeOf(kind.long), 2));
    m.forward(values(sizeOf(kind.shape), 3, -1), kind.shape);
    const dy = values(sizeOf(kind.shape), 4);
    for (const [what, call] of refusals(kind, m, backend, foreign)) {
      const before = observe(m);
      const grads = m.backward(dy);
      const live = backend.memoryStats().liveBytes;
      let error: unknown = null;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error, `${what}: no error`).toBeInstanceOf(Error);
      expect(error, `${what}: an argument error, not a RangeError`).not.toBeInstanceOf(RangeError);
      expect((error as Error).message, what).toMatch(new RegExp(`^${kind.name}\\.(forward|backward|train|loadStateDict)( \\(\\w+\\))?: `));
      expect(observe(m), what).toEqual(before);
      expect(m.backward(dy), `${what}: the pending backward changed`).toEqual(grads);
      expect(backend.memoryStats().liveBytes, `${what}: blocks left allocated`).toBe(live);
    }
    // Still usable, and as a twin that never saw a bad call.
    const twin = kind.make(createBackend({ simd }));
    setParams(twin, 3);
    twin.forward(values(sizeOf(kind.long), 1, 2), kind.long);
    twin.backward(values(sizeOf(kind.long), 2));
    twin.forward(values(sizeOf(kind.shape), 3, -1), kind.shape);
    const x = values(sizeOf(kind.shape), 9);
    expect(m.forward(x, kind.shape)).toEqual(twin.forward(x, kind.shape));
    expect(m.backward(dy)).toEqual(twin.backward(dy));
    expect(m.stateDict()).toEqual(twin.stateDict());
  });

  it.each(MODULE_KINDS.map((k, i) => [k.label, i] as const))("%s: backward before any forward, and any call after dispose, throw; dispose frees everything", (_label, i) => {
    const kind = MODULE_KINDS[i];
    const backend = createBackend({ simd });
    const live = backend.memoryStats().liveBytes;
    const m = kind.make(backend);
    expect(() => m.backward(values(sizeOf(kind.shape), 1))).toThrow(new RegExp(`^${kind.name}\\.backward: there is no forward to differentiate`));
    m.forward(values(sizeOf(kind.shape), 2), kind.shape);
    m.dispose();
    expect(backend.memoryStats().liveBytes).toBe(live);
    for (const call of [
      () => m.forward(values(sizeOf(kind.shape), 2), kind.shape), () => m.backward(values(sizeOf(kind.shape), 1)),
      () => m.stateDict(), () => m.loadStateDict({}), () => m.train(), () => m.eval(),
    ]) {
      expect(call).toThrow(new RegExp(`^${kind.name}\\.\\w+: the ${kind.name} module was disposed`));
    }
    expect(() => m.dispose()).not.toThrow();
    expect(backend.memoryStats().liveBytes).toBe(live);
  });

  it("constructors refusing an option allocate nothing", () => {
    const backend = createBackend({ simd });
    const live = backend.memoryStats();
    const bad: Array<() => unknown> = [
      () => new BatchNorm2d(3, { backend, eps: -1 }),
      () => new BatchNorm2d(3, { backend, momentum: 2 }),
      () => new BatchNorm2d(3, { backend, layout: "NWHC" as never }),
      () => new BatchNorm2d(3, { backend, convention: "keras", momentum: null }),
      () => new BatchNorm2d(0, { backend }),
      () => new BatchNorm2d(3, { backend, moment: 0.1 } as never),
      () => new LayerNorm([3, 0], { backend }),
      () => new GroupNorm(3, 4, { backend }),
      () => new InstanceNorm2d(3, { backend, momentum: null as never }),
      () => new InstanceNorm2d(3, { backend: {} as never }),
    ];
    for (const make of bad) {
      expect(make).toThrow(Error);
      expect(backend.memoryStats()).toEqual(live);
    }
  });

  it("functional ops refusing a call change none of the caller's arrays and keep no memory", () => {
    const backend = createBackend({ simd });
    const shape = [2, 4, 6], x = values(48, 1), dy = values(48, 2);
    const weight = values(4, 3, 1), bias = values(4, 4), w6 = values(6, 5, 1);
    const runningMean = values(4, 6), runningVar = values(4, 7, 2);
    const saved = batchNorm(x, shape, { training: true, backend });
    const inputs = [x, dy, weight, bias, w6, runningMean, runningVar, saved.saveMean, saved.saveInvstd];
    const copies = inputs.map((a) => a.slice());
    const live = backend.memoryStats().liveBytes;
    const bad: Array<[string, () => unknown]> = [
      ["batchNorm", () => batchNorm(x, shape, { training: true, runningMean, runningVar, eps: -1, backend })],
      ["batchNorm", () => batchNorm(x, shape, { training: true, runningMean, runningVar, momentum: 2, backend })],
      ["batchNorm", () => batchNorm(x, shape, { training: true, runningMean, runningVar, layout: "NWC" as never, backend })],
      ["batchNorm", () => batchNorm(x, shape, { training: true, runningMean, runningVar, weight: w6, backend })],
      ["batchNorm", () => batchNorm(x, shape, { training: true, runningMean, runningVar: Float64Array.from(runningVar) as never, backend })],
      ["batchNorm", () => batchNorm(x.subarray(0, 4), [1, 4], { training: true, runningMean, runningVar, backend })],
      ["batchNorm", () => batchNorm(x, shape, { training: true, runningMean, runningVar, convention: "tf" as never, backend })],
      ["batchNormRelu", () => batchNormRelu(x, [2, 4, 5], { training: true, runningMean, runningVar, backend })],
      ["batchNormBackward", () => batchNormBackward(dy, x, shape, { training: true, saveMean: saved.saveMean, backend })],
      ["batchNormBackward", () => batchNormBackward(dy.subarray(1), x, shape, { runningMean, runningVar, backend })],
      ["batchNormReluBackward", () => batchNormReluBackward(dy, x, shape, { training: true, saveMean: saved.saveMean, saveInvstd: saved.saveInvstd, bias: w6, backend })],
      ["layerNorm", () => layerNorm(x, shape, 6, { weight, backend })],
      ["layerNorm", () => layerNorm(x, shape, 6, { eps: Number.NaN, backend })],
      ["layerNormBackward", () => layerNormBackward(dy, x, shape, 6, { weight: w6, saveMean: saved.saveMean, saveInvstd: saved.saveInvstd, backend })],
      ["groupNorm", () => groupNorm(x, shape, 3, { weight, backend })],
      ["groupNormBackward", () => groupNormBackward(dy, x, shape, 2, { weight: w6, backend })],
      ["instanceNorm", () => instanceNorm(x, shape, { runningMean, runningVar, momentum: -0.5, backend })],
      ["instanceNorm", () => instanceNorm(x, [2, 4, 1, 6], { runningMean, runningVar, weight: w6, backend })],
      ["instanceNorm", () => instanceNorm(x.subarray(0, 8), [2, 4, 1], { runningMean, runningVar, backend })],
      ["instanceNormBackward", () => instanceNormBackward(dy, x, shape, { useInputStats: false, runningMean, backend })],
    ];
    for (const [op, call] of bad) {
      let error: unknown = null;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error, `${op}: no error`).toBeInstanceOf(Error);
      expect(error, op).not.toBeInstanceOf(RangeError);
      expect((error as Error).message, op).toMatch(new RegExp(`^${op}: `));
      inputs.forEach((a, i) => expect(a, `${op} changed an input`).toEqual(copies[i]));
      expect(backend.memoryStats().liveBytes, `${op} kept memory`).toBe(live);
    }
  });
});
