// createThreadedBackend: every output, gradient and running statistic bit-identical to the
// one-thread backend of the same build for 1, 2, 3 and 4 threads (the work threshold
// lowered so that small tensors are cut too), the fallback without SharedArrayBuffer, the
// failure model (a worker that traps, a worker that is gone: clear Errors, no hang),
// dispose, and a Node process that exits by itself around idle workers.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm, RMSNorm, addLayerNorm, addLayerNormBackward, addRmsNorm, addRmsNormBackward,
  batchNormBackwardElemt, batchNormBackwardReduce, batchNormElemt, batchNormGatherStats, batchNormStats, createBackend,
  createThreadedBackend, layerNorm, layerNormBackward, rmsNorm, rmsNormBackward, type Backend, type ThreadedBackend,
} from "../src/index.js";
import type { Activation } from "../src/modules/batchnorm.js";
import { Program } from "../src/runtime/threads/plans.js";
import type { ThreadPool } from "../src/runtime/threads/pool.js";
import { seededRandom } from "./helpers/random.js";

const COUNTS = [1, 2, 3, 4];
const created: ThreadedBackend[] = [];
afterAll(() => created.forEach((b) => b.dispose()));

async function threaded(threads: number, simd: boolean, extra: object = {}): Promise<ThreadedBackend> {
  const b = await createThreadedBackend({ threads, simd, minElementsPerThread: 1, ...extra });
  created.push(b);
  return b;
}

function values(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale + offset);
}

/** Bit equality, NaN payloads and signed zeros included. */
function expectSameBits(actual: ArrayLike<number> | null | undefined, expected: ArrayLike<number> | null | undefined, what: string): void {
  expect(actual == null, `${what}: present`).toBe(expected == null);
  if (actual == null || expected == null) return;
  const a = new Uint32Array(Float32Array.from(actual).buffer), e = new Uint32Array(Float32Array.from(expected).buffer);
  expect(a.length, `${what}: length`).toBe(e.length);
  let differing = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== e[i]) differing++;
  expect(differing, `${what}: elements whose bits differ`).toBe(0);
}

type Outputs = Record<string, ArrayLike<number> | null | undefined>;

function expectSameOutputs(actual: Outputs, expected: Outputs, what: string): void {
  for (const key of Object.keys(expected)) expectSameBits(actual[key], expected[key], `${what} ${key}`);
}

/** BatchNorm2d training forward + backward, twice (running statistics after two updates). */
function batchNormRun(backend: Backend, shape: number[], layout: "NCHW" | "NHWC", affine: boolean, activation: Activation): Outputs {
  const C = layout === "NCHW" ? shape[1] : shape[3];
  const n = shape.reduce((a, b) => a * b);
  const bn = new BatchNorm2d(C, { backend, layout, affine, activation });
  if (affine) {
    bn.weight!.set(values(C, 3, 0.5, 1));
    bn.bias!.set(values(C, 4));
  }
  const out: Outputs = {};
  for (const step of [0, 1]) {
    const y = bn.forward(values(n, 10 + step, 3, step * 100), shape);
    const g = bn.backward(values(n, 20 + step));
    Object.assign(out, { [`y${step}`]: y, [`dx${step}`]: g.dx, [`dweight${step}`]: g.dweight, [`dbias${step}`]: g.dbias });
  }
  return { ...out, runningMean: bn.runningMean, runningVar: bn.runningVar };
}

/** BatchNorm2d after a training forward: eval() forward and its frozen-statistics backward. */
function batchNormEvalRun(backend: Backend, shape: number[], layout: "NCHW" | "NHWC", affine: boolean, activation: Activation): Outputs {
  const C = layout === "NCHW" ? shape[1] : shape[shape.length - 1];
  const n = shape.reduce((a, b) => a * b);
  const bn = new BatchNorm2d(C, { backend, layout, affine, activation });
  if (affine) {
    bn.weight!.set(values(C, 3, 0.5, 1));
    bn.bias!.set(values(C, 4));
  }
  bn.forward(values(n, 10, 3, 5), shape);
  bn.eval();
  const y = bn.forward(values(n, 11, 3, 5), shape);
  const g = bn.backward(values(n, 21));
  return { y, dx: g.dx, dweight: g.dweight, dbias: g.dbias };
}

/** The split primitives over one shard: the f32 outputs, and the f64 statistics and sums as bytes. */
function splitRun(backend: Backend, shape: number[], layout: "NCHW" | "NHWC"): { f32: Outputs; f64: Uint8Array[] } {
  const n = shape.reduce((a, b) => a * b), C = layout === "NCHW" ? shape[1] : shape[shape.length - 1];
  const opts = { backend, layout };
  const x = values(n, 50, 2, 3), dy = values(n, 51), weight = values(C, 52, 0.5, 1), bias = values(C, 53);
  const stats = batchNormStats(x, shape, opts);
  const global = batchNormGatherStats([stats]);
  const y = batchNormElemt(x, shape, { ...opts, mean: global.mean, invstd: global.invstd, weight, bias });
  const r = batchNormBackwardReduce(dy, x, shape, { ...opts, mean: global.mean, invstd: global.invstd });
  const dx = batchNormBackwardElemt(dy, x, shape, {
    ...opts, mean: global.mean, invstd: global.invstd, weight, sumDy: r.sumDy, sumDyXmu: r.sumDyXmu, count: global.count,
  });
  const bytes = (a: Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return { f32: { y, dx, dweight: r.dweight, dbias: r.dbias }, f64: [stats.mean, stats.var, r.sumDy, r.sumDyXmu].map(bytes) };
}

/** LayerNorm (bias: false: dweight alone) or RMSNorm (the pipelined backward with dweight) forward + backward. */
function rowModuleRun(backend: Backend, kind: "layer" | "rms", R: number, L: number, affine: boolean, bias = true): Outputs {
  const m = kind === "layer" ? new LayerNorm(L, { backend, elementwiseAffine: affine, bias }) : new RMSNorm(L, { backend, elementwiseAffine: affine });
  if (affine) m.weight!.set(values(L, 5, 0.5, 1));
  if (affine && "bias" in m && m.bias) m.bias.set(values(L, 6));
  const y = m.forward(values(R * L, 30, 2, 7), [R, L]);
  const g = m.backward(values(R * L, 31));
  return { y, dx: g.dx, dweight: g.dweight, dbias: g.dbias };
}

/** GroupNorm (G groups; G = C: InstanceNorm2d) training forward + backward; without affine the backward is dx only. */
function groupRun(backend: Backend, shape: number[], G: number, layout: "NCHW" | "NHWC", affine: boolean): Outputs {
  const C = layout === "NCHW" ? shape[1] : shape[3];
  const n = shape.reduce((a, b) => a * b);
  const m = G === C ? new InstanceNorm2d(C, { backend, layout, affine }) : new GroupNorm(G, C, { backend, layout, affine });
  if (affine) {
    m.weight!.set(values(C, 5, 0.5, 1));
    m.bias!.set(values(C, 6));
  }
  const y = m.forward(values(n, 50, 2, 7), shape);
  const g = m.backward(values(n, 51));
  return { y, dx: g.dx, dweight: g.dweight, dbias: g.dbias };
}

function addLayerNormRun(backend: Backend, R: number, L: number): Outputs {
  const shape = [R, L];
  const weight = values(L, 7, 0.5, 1), bias = values(L, 8), addBias = values(L, 9);
  const f = addLayerNorm(values(R * L, 40), values(R * L, 41), shape, L, { backend, weight, bias, addBias });
  const g = addLayerNormBackward(values(R * L, 42), f.sum, shape, L, {
    backend, weight, dsum: values(R * L, 43), saveMean: f.saveMean, saveInvstd: f.saveInvstd,
  });
  const fn = layerNorm(values(R * L, 44), shape, L, { backend, weight });
  const gn = layerNormBackward(values(R * L, 45), values(R * L, 44), shape, L, { backend, weight, saveMean: fn.saveMean, saveInvstd: fn.saveInvstd });
  return {
    y: f.y, sum: f.sum, mean: Float32Array.from(f.saveMean), invstd: Float32Array.from(f.saveInvstd),
    dx: g.dx, dweight: g.dweight, dbias: g.dbias, daddBias: g.daddBias, y2: fn.y, dx2: gn.dx, dweight2: gn.dweight,
  };
}

/** addRmsNorm and its backward (dsum, daddBias), and the functional RMS norm backward with and without a weight. */
function addRmsNormRun(backend: Backend, R: number, L: number): Outputs {
  const shape = [R, L];
  const weight = values(L, 7, 0.5, 1), addBias = values(L, 9);
  const f = addRmsNorm(values(R * L, 40), values(R * L, 41), shape, L, { backend, weight, addBias });
  const g = addRmsNormBackward(values(R * L, 42), f.sum, shape, L, { backend, weight, dsum: values(R * L, 43), saveInvRms: f.saveInvRms });
  const fn = rmsNorm(values(R * L, 44), shape, L, { backend });
  const gn = rmsNormBackward(values(R * L, 45), values(R * L, 44), shape, L, { backend, weight, saveInvRms: fn.saveInvRms });
  const gu = rmsNormBackward(values(R * L, 46), values(R * L, 44), shape, L, { backend, saveInvRms: fn.saveInvRms });
  return {
    y: f.y, sum: f.sum, dx: g.dx, dweight: g.dweight, daddBias: g.daddBias, y2: fn.y, dx2: gn.dx, dweight2: gn.dweight, dx3: gu.dx,
  };
}

/**
 * Row backwards whose parameter gradients cancel: 32-row blocks of small dy, then a block of
 * dy ~ 2^40 and one of exactly its negation (same x), then small again. The f64 sum of the
 * blocks' f32 sums loses the small blocks before the big pair to rounding and keeps those
 * after it, so any other merge order (or block cut) shows in the gradients' bits.
 */
function cancellingGradRun(backend: Backend, L: number): Outputs {
  const R = 32 * 5 + 3, shape = [R, L], big = 32 * 2, negated = 32 * 3;
  const x = values(R * L, 60, 2, 3), weight = values(L, 61, 0.5, 1), dy = values(R * L, 62, 1e-3);
  for (let i = big * L; i < negated * L; i++) dy[i] *= 2 ** 40;
  x.copyWithin(negated * L, big * L, negated * L);
  for (let i = 0; i < 32 * L; i++) dy[negated * L + i] = -dy[big * L + i];
  const f = layerNorm(x, shape, L, { backend, weight });
  const g = layerNormBackward(dy, x, shape, L, { backend, weight, saveMean: f.saveMean, saveInvstd: f.saveInvstd });
  const fr = rmsNorm(x, shape, L, { backend, weight });
  const gr = rmsNormBackward(dy, x, shape, L, { backend, weight, saveInvRms: fr.saveInvRms });
  return { dx: g.dx, dweight: g.dweight, dbias: g.dbias, dxRms: gr.dx, dweightRms: gr.dweight };
}

describe.each([true, false])("bits for any thread count (simd %s)", (simd) => {
  const one = createBackend({ simd });
  // Shapes: S a multiple of 8, S % 4 = 3 (the scalar tails), S < 1024 (chunks of several
  // samples), S >= 1024 (the in-memory-order passes; S > 2048 cut inside a run), channels fewer than the threads.
  const BN_CASES: [number[], boolean, Activation][] = [
    [[4, 37, 31, 29], true, "none"], [[3, 16, 7, 7], false, "none"], [[2, 5, 48, 49], true, "relu"],
    [[5, 3, 9, 11], true, "relu"], [[2, 9, 1, 3], true, "none"], [[3, 6, 32, 40], true, "none"],
  ];
  for (const [shape, affine, activation] of BN_CASES) {
    it(`BatchNorm2d NCHW ${shape.join("x")} affine ${affine} ${activation}`, async () => {
      const expected = batchNormRun(one, shape, "NCHW", affine, activation);
      for (const t of COUNTS) expectSameOutputs(batchNormRun(await threaded(t, simd), shape, "NCHW", affine, activation), expected, `${t} threads`);
    });
  }
  // Interleaved, cut by statistics blocks of rows (blockRows: 2048 rows of 64 channels, 1024
  // of 128 or more): 2 or 3 blocks (fewer than the threads), a short last block, C % 4 != 0
  // (the scalar columns), (N, C) as NCHW with S = 1; and tensors of one block (on one
  // thread), rows fewer than a row group.
  const INTERLEAVED_CASES: [number[], "NCHW" | "NHWC", boolean, Activation][] = [
    [[3, 40, 40, 64], "NHWC", true, "none"], [[4, 30, 20, 261], "NHWC", true, "relu"], [[1100, 300, 1, 1], "NCHW", false, "relu"],
    [[2100, 200, 1, 1], "NCHW", true, "none"], [[3, 6, 5, 7], "NHWC", true, "none"], [[40, 13, 1, 1], "NCHW", true, "relu"],
    // Over 8 MiB: the column reductions walk row by row (layout.ts groupedReduction).
    [[2, 64, 64, 261], "NHWC", true, "relu"],
  ];
  for (const [shape, layout, affine, activation] of INTERLEAVED_CASES) {
    it(`BatchNorm2d interleaved ${layout} ${shape.join("x")} affine ${affine} ${activation}`, async () => {
      const expected = batchNormRun(one, shape, layout, affine, activation);
      for (const t of COUNTS) expectSameOutputs(batchNormRun(await threaded(t, simd), shape, layout, affine, activation), expected, `${t} threads`);
    });
  }
  // Inference and frozen backward, cut by rows: samples (NCHW) or rows of C (NHWC, S = 1);
  // affine true wants dweight / dbias: on one thread when planar, by statistics blocks when
  // interleaved (2 blocks of 2048 rows of 64 channels).
  const EVAL_CASES: [number[], "NCHW" | "NHWC", Activation][] = [
    [[4, 37, 31, 29], "NCHW", "none"], [[5, 3, 9, 11], "NCHW", "relu"], [[3, 6, 1, 1], "NCHW", "none"],
    [[3, 6, 5, 7], "NHWC", "none"], [[2, 5, 7, 19], "NHWC", "relu"], [[2, 40, 40, 64], "NHWC", "relu"],
  ];
  for (const [shape, layout, activation] of EVAL_CASES) {
    it(`BatchNorm2d eval forward and frozen backward ${layout} ${shape.join("x")} ${activation}`, async () => {
      for (const affine of [false, true]) {
        const expected = batchNormEvalRun(one, shape, layout, affine, activation);
        for (const t of COUNTS) {
          expectSameOutputs(batchNormEvalRun(await threaded(t, simd), shape, layout, affine, activation), expected, `${t} threads affine ${affine}`);
        }
      }
    });
  }
  // The split primitives: planar in memory order (S >= 1024), planar pipelined, interleaved
  // (one block, and 2 blocks of 1280 rows of 97 channels), S = 1 (one block, 2 blocks of 1024 rows of 150).
  const SPLIT_CASES: [number[], "NCHW" | "NHWC"][] = [
    [[2, 5, 32, 40], "NCHW"], [[3, 7, 9, 11], "NCHW"], [[3, 5, 7, 19], "NHWC"], [[50, 13, 1, 1], "NCHW"],
    [[4, 25, 25, 97], "NHWC"], [[1500, 150, 1, 1], "NCHW"],
  ];
  for (const [shape, layout] of SPLIT_CASES) {
    it(`split primitives ${layout} ${shape.join("x")}`, async () => {
      const expected = splitRun(one, shape, layout);
      for (const t of COUNTS) {
        const got = splitRun(await threaded(t, simd), shape, layout);
        expectSameOutputs(got.f32, expected.f32, `${t} threads`);
        got.f64.forEach((b, i) => expect(b, `${t} threads f64 output ${i}`).toEqual(expected.f64[i]));
      }
    });
  }
  // Samples fewer than the threads, odd counts, runs of at most 8 (exact path), both layouts.
  const GROUP_CASES: [number[], number][] = [[[5, 12, 7, 9], 3], [[3, 8, 5, 5], 8], [[2, 6, 1, 1], 2], [[7, 4, 2, 1], 4]];
  for (const [[N, C, H, W], G] of GROUP_CASES) {
    for (const layout of ["NCHW", "NHWC"] as const) {
      const shape = layout === "NCHW" ? [N, C, H, W] : [N, H, W, C];
      it(`${G === C ? "InstanceNorm2d" : "GroupNorm"} ${shape.join("x")} G ${G} ${layout}`, async () => {
        for (const affine of [true, false]) {
          const expected = groupRun(one, shape, G, layout, affine);
          for (const t of COUNTS) expectSameOutputs(groupRun(await threaded(t, simd), shape, G, layout, affine), expected, `${t} threads affine ${affine}`);
        }
      });
    }
  }
  // Rows: odd counts, fewer rows than threads, L tiny (exact path); with and without parameter
  // gradients, whose backward is cut in blocks of 32 rows: fewer blocks than threads, a row
  // count a multiple of 32, one row past it, L % 4 != 0 (the merge's scalar columns).
  for (const [R, L] of [[333, 77], [100, 128], [3, 40], [70, 5], [96, 40], [33, 65], [161, 4099]]) {
    for (const kind of ["layer", "rms"] as const) {
      it(`${kind} norm ${R}x${L}`, async () => {
        for (const [affine, bias] of [[true, true], [false, true], ...(kind === "layer" ? [[true, false]] : [])]) {
          const expected = rowModuleRun(one, kind, R, L, affine, bias);
          for (const t of COUNTS) {
            expectSameOutputs(rowModuleRun(await threaded(t, simd), kind, R, L, affine, bias), expected, `${t} threads affine ${affine} bias ${bias}`);
          }
        }
      });
    }
    it(`addLayerNorm and functional layerNorm ${R}x${L}`, async () => {
      const expected = addLayerNormRun(one, R, L);
      for (const t of COUNTS) expectSameOutputs(addLayerNormRun(await threaded(t, simd), R, L), expected, `${t} threads`);
    });
    it(`addRmsNorm and functional rmsNorm ${R}x${L}`, async () => {
      const expected = addRmsNormRun(one, R, L);
      for (const t of COUNTS) expectSameOutputs(addRmsNormRun(await threaded(t, simd), R, L), expected, `${t} threads`);
    });
  }
  it("row backwards whose parameter gradients cancel across blocks", async () => {
    const expected = cancellingGradRun(one, 12);
    for (const t of COUNTS) expectSameOutputs(cancellingGradRun(await threaded(t, simd), 12), expected, `${t} threads`);
  });
});

describe("createThreadedBackend", () => {
  it("reports its threads and build", async () => {
    const b = await threaded(3, true);
    expect(b.threads).toBe(3);
    expect(b.info).toEqual({ build: "simd", shared: true, wait: "atomics", fallback: null });
    const auto = await createThreadedBackend();
    created.push(auto);
    expect(auto.threads).toBeGreaterThanOrEqual(1);
    expect(auto.threads).toBeLessThanOrEqual(8);
  });

  it("workers see the memory after it grew on the calling thread", async () => {
    const b = await threaded(2, true);
    const expected = batchNormRun(createBackend(), [3, 6, 20, 20], "NCHW", true, "none");
    const low = batchNormRun(b, [3, 6, 20, 20], "NCHW", true, "none");
    const filler = b.alloc(96 << 20); // the next tensors live past the memory the workers saw
    expect(b.memoryStats().memoryBytes).toBeGreaterThan(96 << 20);
    expectSameOutputs(batchNormRun(b, [3, 6, 20, 20], "NCHW", true, "none"), expected, "after growth");
    expectSameOutputs(low, expected, "before growth");
    filler.free();
  });

  it("refuses bad options with an Error naming them", async () => {
    await expect(createThreadedBackend({ threads: 0 })).rejects.toThrow(/createThreadedBackend: option threads must be an integer from 1 to 64/);
    await expect(createThreadedBackend({ threads: 2.5 })).rejects.toThrow(/option threads/);
    await expect(createThreadedBackend({ timeoutMs: -1 })).rejects.toThrow(/option timeoutMs/);
    await expect(createThreadedBackend({ simd: "yes" as never })).rejects.toThrow(/createThreadedBackend: option simd/);
    await expect(createThreadedBackend({ thread: 2 } as never)).rejects.toThrow(/unknown option "thread"/);
  });

  it("falls back to one thread, saying why, without SharedArrayBuffer", async () => {
    const saved = globalThis.SharedArrayBuffer;
    // @ts-expect-error: removed for the test, as on a page that is not cross-origin isolated
    delete globalThis.SharedArrayBuffer;
    let b: ThreadedBackend;
    try {
      b = await createThreadedBackend({ threads: 4 });
    } finally {
      globalThis.SharedArrayBuffer = saved;
    }
    created.push(b);
    expect(b.threads).toBe(1);
    expect(b.info.shared).toBe(false);
    expect(b.info.fallback).toMatch(/SharedArrayBuffer is not available.*cross-origin isolated/);
    const expected = batchNormRun(createBackend(), [2, 3, 4, 5], "NCHW", true, "none");
    expectSameOutputs(batchNormRun(b, [2, 3, 4, 5], "NCHW", true, "none"), expected, "fallback");
  });

  it("a worker that traps breaks the backend with its message, for the pending and every later call", async () => {
    const b = await threaded(2, true);
    const internals = (b as unknown as { threadInternals: { execute(p: Program): void } }).threadInternals;
    const program = new Program(2);
    // Thread 1 normalizes rows far past the end of the memory: a trap in the worker's kernel.
    program.kernel(1, "layerNormForward", [0xfff00000, 0xfff00000, 4, 16, 0, 1e-5, 0]);
    expect(() => internals.execute(program)).toThrow(/threaded backend: worker 1: RuntimeError: memory access out of bounds/);
    expect(() => batchNormRun(b, [2, 3, 4, 5], "NCHW", true, "none")).toThrow(/threaded backend: worker 1: RuntimeError/);
    expect(() => rowModuleRun(b, "layer", 4, 16, true)).toThrow(/worker 1/);
  });

  it("runs thousands of back-to-back programs of several phases on 4 threads, each phase after the last", async () => {
    // A stress test of the pool's per-call count and of the phase order: in phase p thread t
    // copies the word thread t + 1 wrote in phase p - 1, so a phase that ran early, twice or
    // not at all leaves a wrong word, and a lost or extra count fails or hangs the wait.
    const T = 4, PHASES = 4, CALLS = 2000;
    const b = await threaded(T, true);
    const internals = (b as unknown as { threadInternals: { execute(p: Program): void } }).threadInternals;
    const words = b.alloc(4 * T * (PHASES + 1));
    const at = (phase: number, t: number) => words.ptr + 4 * (phase * T + t);
    for (let call = 0; call < CALLS; call++) {
      const seed = words.f32();
      for (let t = 0; t < T; t++) seed[t] = call * T + t;
      const program = new Program(T);
      for (let phase = 1; phase <= PHASES; phase++) {
        if (phase > 1) program.barrier();
        for (let t = 0; t < T; t++) program.copy(t, at(phase, t), at(phase - 1, (t + 1) % T), 4);
      }
      internals.execute(program);
      const out = words.f32().subarray(PHASES * T);
      for (let t = 0; t < T; t++) expect(out[t]).toBe(call * T + ((t + PHASES) % T));
    }
    words.free();
  });

  it("a worker that is gone breaks the backend after the bounded wait, no hang", async () => {
    const b = await threaded(2, true, { timeoutMs: 300 });
    const pool = (b as unknown as { threadInternals: { pool: ThreadPool } }).threadInternals.pool;
    // Stop the worker behind the pool's back (as a crash would).
    (pool as unknown as { workers: { terminate(): void }[] }).workers[0].terminate();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    expect(() => batchNormRun(b, [4, 8, 16, 16], "NCHW", true, "none")).toThrow(/threaded backend: (worker 1 stopped|1 worker\(s\) did not finish within 300 ms)/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(() => batchNormRun(b, [2, 3, 4, 5], "NCHW", true, "none")).toThrow(/threaded backend/);
  });

  it("dispose terminates the workers; later calls throw", async () => {
    for (const t of [1, 2]) {
      const b = await createThreadedBackend({ threads: t, minElementsPerThread: 1 });
      batchNormRun(b, [2, 3, 4, 5], "NCHW", true, "none");
      b.dispose();
      expect(() => batchNormRun(b, [2, 3, 4, 5], "NCHW", true, "none")).toThrow(/threaded backend.*dispose\(\)/);
    }
  });

  it("a Node process exits on its own around an idle, undisposed backend", () => {
    const dir = mkdtempSync(join(tmpdir(), "bnw-threads-"));
    const script = join(dir, "idle.mts");
    const entry = new URL("../src/index.ts", import.meta.url).href;
    writeFileSync(script, [
      `import { BatchNorm2d, createThreadedBackend } from ${JSON.stringify(entry)};`,
      `const backend = await createThreadedBackend({ threads: 2, minElementsPerThread: 1 });`,
      `const bn = new BatchNorm2d(4, { backend });`,
      `bn.forward(new Float32Array(2 * 4 * 9), [2, 4, 3, 3]);`,
      `console.log("ran on", backend.threads, "threads");`,
    ].join("\n"));
    const tsx = new URL("../node_modules/tsx/dist/esm/index.mjs", import.meta.url).href;
    const out = execFileSync(process.execPath, ["--import", tsx, script], { timeout: 60_000, encoding: "utf8" });
    expect(out).toContain("ran on 2 threads");
  });
});
