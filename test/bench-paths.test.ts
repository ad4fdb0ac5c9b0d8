// Every benchmarked path computes the right thing: each bench case runs once on its
// family's small test shapes and its outputs are checked against the pure-JS reference
// module (itself checked against PyTorch fixtures): for BatchNorm built here, for the
// other families their own js-reference row. Speed is not measured here.
import type { KernelBackend } from "../src/runtime/backend.js";
import { Block } from "../src/runtime/block.js";
import { describe, expect, it } from "vitest";
import { createBackend, createReferenceBackend, createThreadedBackend } from "../src/index.js";
import type { Case, Outputs } from "../bench/case.js";
import { inputsFor } from "../bench/data.js";
import { batchNormFamily, batchNormModule } from "../bench/families/batchnorm.js";
import { FAMILIES } from "../bench/families/index.js";
import type { BenchContext, Family } from "../bench/families/family.js";
import { prepareModule } from "../bench/runners/module.js";
import { wrapperOnly } from "../bench/runners/wrapper-only.js";
import { loadTfjs } from "../bench/runners/tfjs-loader.js";
import { floorSources, prepareCopyFloor } from "../bench/runners/copy-floor.js";
import { workload } from "../bench/workloads.js";
import { backendMemory, reluPass, reluPassFor } from "../bench/wasm/relu-pass.js";
import { tensor } from "../src/runtime/tensor.js";
import { expectClose } from "./helpers/compare.js";
import { concat } from "./helpers/concat.js";

const simd = createBackend({ simd: true });
const ctx: BenchContext = {
  simd,
  scalar: createBackend({ simd: false }),
  wrapperOnly: wrapperOnly(simd),
  threads2: await createThreadedBackend({ threads: 2, simd: true, minElementsPerThread: 1 }),
  overheadLabels: batchNormFamily.testWorkloads.map((w) => w.label),
};

/** What the reference module gives for the case's op on the same inputs. */
async function expected(c: Case, all: readonly Case[], family: Family): Promise<Outputs> {
  const w = c.workload;
  const inputs = inputsFor(w);
  if (c.op === "copy") return { copied: concat(floorSources(w, inputs)) };
  // The Float32Array path's floors copy each call's inputs through the backend: the forward's, then the backward's dy.
  if (c.impl === "array-floor" || c.impl === "array-alloc-floor") {
    return { copied: concat([...floorSources(w, inputs), ...(c.op === "trainBackward" ? [inputs.dy] : [])]) };
  }
  // The ReLU rows compute batch norm followed by a ReLU: the reference module with activation "relu".
  const activation = c.impl.includes("relu") ? "relu" : "none";
  const prepared = c.family === batchNormFamily.name
    ? prepareModule(batchNormModule(w, inputs, activation), createReferenceBackend(), w, inputs, c.op, "array")
    : await all.find((k) => k.workload === w && k.op === c.op && k.impl === (family.reference ?? "js-reference"))!.prepare();
  const out = prepared.outputs();
  prepared.dispose();
  return out;
}

const FAMILY_DEFAULT_ROWS = ["copy", "simd-tensor", "simd-array", "simd-array-out", "array-floor", "array-alloc-floor", "scalar-tensor", "js-reference"];

/** Every implementation a family must have rows for. */
const REQUIRED: Record<string, readonly string[]> = {
  BatchNorm: ["copy", "simd-tensor", "simd-array", "simd-array-out", "array-floor", "array-alloc-floor", "scalar-tensor", "scalar-array", "simd-wrapper", "js-reference", "js-naive", "tfjs-wasm", "tfjs-cpu",
    "tfjs-cpu-layer", "tfjs-cpu-layer-ours", "tfjs-wasm-layer", "tfjs-wasm-layer-ours"],
  LayerNorm: [...FAMILY_DEFAULT_ROWS, "tfjs-cpu-layer", "tfjs-cpu-layer-ours", "tfjs-wasm-layer", "tfjs-wasm-layer-ours"],
  "CNN epoch": ["copy", "tfjs-cpu-layer", "tfjs-cpu-layer-ours", "tfjs-wasm-layer", "tfjs-wasm-layer-ours"],
};

const KEYS = ["y", "sum", "dx", "dweight", "dbias", "copied"] as const;

for (const family of FAMILIES) {
  describe(`${family.name} bench cases`, () => {
    const all = family.testWorkloads.flatMap((w) => family.cases(w, ctx));

    it("cover every implementation, op and workload", () => {
      const impls = new Set(all.map((c) => c.impl));
      for (const impl of REQUIRED[family.name] ?? FAMILY_DEFAULT_ROWS) {
        expect(impls.has(impl), impl).toBe(true);
      }
      expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
    });

    it.each(all.map((c) => [c.id, c] as const))("%s", async (_id, c) => {
      const tol = c.impl.startsWith("tfjs") ? 1e-4 : 1e-5;
      const prepared = await c.prepare();
      try {
        await prepared.run(); // the timed call must not throw and must leave a usable state
        // The wrapper-only row computes nothing by design (see "the wrapper-only backend" below).
        if (c.impl === "simd-wrapper") return;
        const got = prepared.outputs();
        const want = await expected(c, all, family);
        const keys = KEYS.filter((k) => want[k] !== undefined);
        expect(keys.length).toBeGreaterThan(0);
        for (const k of keys) expectClose(got[k], want[k]!, tol, `${c.id} ${k}`);
      } finally {
        prepared.dispose();
      }
    });
  });
}

describe("TF.js paths", () => {
  it("leave no tensors behind", async () => {
    const tf = await loadTfjs();
    const c = batchNormFamily.cases(batchNormFamily.testWorkloads[1], ctx).find((k) => k.impl === "tfjs-wasm" && k.op === "trainBackward")!;
    const prepared = await c.prepare();
    const before = tf.memory().numTensors;
    prepared.run();
    prepared.outputs();
    expect(tf.memory().numTensors).toBe(before);
    prepared.dispose();
  });
});

describe("the wrapper-only backend (target 5)", () => {
  it("allocates in the real backend's memory and computes nothing", () => {
    const region = ctx.wrapperOnly.alloc(64);
    region.f32().fill(7);
    const block = new Block(region, 2, 2);
    const kernels = ctx.wrapperOnly as KernelBackend;
    kernels.batchNormTrainForward({ x: region, y: region, N: 2, C: 2, S: 4, flags: 0, eps: 1e-5, block });
    kernels.batchNormBackward({ dy: region, x: region, dx: region, N: 2, C: 2, S: 4, flags: 2, block });
    expect(Array.from(region.f32())).toEqual(new Array(16).fill(7));
    expect(ctx.wrapperOnly.memoryStats()).toEqual(ctx.simd.memoryStats());
    expect(ctx.wrapperOnly.kind).toBe("simd");
    region.free();
  });
});

describe("the copy floor", () => {
  it("copies x's bytes in a memory of its own, not the backend's", () => {
    const w = workload([3, 5, 7], "NCHW");
    const inputs = inputsFor(w);
    const before = ctx.simd.memoryStats();
    const floor = prepareCopyFloor(w, inputs);
    expect(ctx.simd.memoryStats()).toEqual(before);
    floor.run();
    expect(floor.outputs().copied).toEqual(inputs.x);
    floor.dispose();
    expect(() => floor.run()).toThrow(/after dispose/);
  });
});

describe("the separate ReLU pass in wasm (the fused ReLU's baseline)", () => {
  const VALUES = [Number.NaN, -0, -1.5, 2, 0.25, -3, 0, 7];
  it.each([["SIMD", true], ["scalar", false]] as const)("%s: relu in place and the gradient mask, every tail length", (_name, simdPass) => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const k = reluPass(memory, simdPass);
    const f = new Float32Array(memory.buffer);
    for (let n = 0; n <= 40; n++) {
      const vals = Float32Array.from({ length: n }, (_, i) => VALUES[i % VALUES.length] * (1 + i));
      const [y, dy, dst] = [64, 2048, 4096];
      f.set(vals, y);
      f[y + n] = -9;
      k.relu(y * 4, n);
      expect(Array.from(f.subarray(y, y + n)), `relu n=${n}`).toEqual(Array.from(vals, (v) => (v < 0 ? 0 : v)));
      expect(f[y + n]).toBe(-9);
      f.set(vals, y);
      for (let i = 0; i < n; i++) f[dy + i] = i + 1;
      f[dst + n] = -9;
      k.mask(dst * 4, dy * 4, y * 4, n);
      expect(Array.from(f.subarray(dst, dst + n)), `mask n=${n}`).toEqual(Array.from(vals, (v, i) => (v > 0 ? i + 1 : 0)));
      expect(f[dst + n]).toBe(-9);
    }
  });

  it("imports a shared memory too (a threaded backend's)", () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
    const f = new Float32Array(memory.buffer);
    f.set([-1, 2, -3, 4, -5], 0);
    reluPass(memory).relu(0, 5);
    expect(Array.from(f.subarray(0, 5))).toEqual([0, 2, 0, 4, 0]);
  });

  it("runs on the memory the backend's tensors live in, before and after the restructure", () => {
    for (const backend of [ctx.simd, ctx.scalar]) {
      const memory = backendMemory(backend)!;
      expect(memory).toBeInstanceOf(WebAssembly.Memory);
      const t = tensor([5], Float32Array.from([-1, 2, -3, 4, -5]), { backend });
      expect(t.data.buffer).toBe(memory.buffer);
      reluPassFor(backend).relu(t.data.byteOffset, 5);
      expect(Array.from(t.data)).toEqual([0, 2, 0, 4, 0]);
      t.dispose();
    }
    const memory = new WebAssembly.Memory({ initial: 1 });
    expect(backendMemory({ memory } as never)).toBe(memory);
    expect(backendMemory(createReferenceBackend())).toBeUndefined();
    expect(() => reluPassFor(createReferenceBackend())).toThrow(/no WebAssembly.Memory/);
  });
});

describe("bench cases", () => {
  it("free the wasm memory they allocate (a long run does not leak)", () => {
    expect(ctx.simd.memoryStats().liveBytes).toBe(0);
    expect(ctx.scalar.memoryStats().liveBytes).toBe(0);
  });
});
