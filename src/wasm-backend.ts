// Loads the inlined kernels (SIMD build where the engine validates it, else scalar) and
// wraps them as a Backend. Compilation is synchronous and cached per build, so modules can
// be constructed without awaiting anything and the entry point has no top-level await.

import simdBase64 from "./wasm/simd.js";
import scalarBase64 from "./wasm/scalar.js";
import type { Backend, ChannelBuffers, Dims, FusedRelu, GroupDims, Region } from "./backend.js";
import { LinearMemory, WASM32_MAX_BYTES, type MemoryStats } from "./memory.js";

/** The kernels' exports (assembly/index.ts): pointers are byte offsets, flags are 0 / 1. */
interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  copyBytes(dst: number, src: number, n: number): void;
  batchNormTrainForward(
    x: number, y: number, N: number, C: number, S: number, channelsLast: number, eps: number,
    weight: number, bias: number, mean64: number, var64: number, invstd64: number, coef: number, scratch: number, relu: number,
  ): void;
  batchNormEvalForward(
    x: number, y: number, N: number, C: number, S: number, channelsLast: number, eps: number,
    weight: number, bias: number, runMean: number, runVar: number,
    mean64: number, var64: number, invstd64: number, coef: number, relu: number,
  ): void;
  batchNormBackward(
    dy: number, x: number, dx: number, N: number, C: number, S: number, channelsLast: number, training: number,
    mean64: number, invstd64: number, weight: number, dweight: number, dbias: number,
    sumDy64: number, sumDyXmu64: number, coef: number, scratch: number, relu: number,
  ): void;
  applyCoefficients(C: number, mean64: number, invstd64: number, weight: number, bias: number, coef: number): void;
  updateRunningStats(C: number, runMean: number, runVar: number, mean64: number, var64: number, momentum: number, varFactor: number): void;
  channelStats(x: number, N: number, C: number, S: number, channelsLast: number, mean64: number, var64: number, scratch: number): void;
  applyChannels(x: number, y: number, N: number, C: number, S: number, channelsLast: number, coef: number, floor: number): void;
  backwardReduce(
    dy: number, x: number, N: number, C: number, S: number, channelsLast: number,
    mean64: number, sumDy64: number, sumDyXmu64: number, scratch: number,
  ): void;
  backwardCoefficients(
    C: number, training: number, mean64: number, invstd64: number, weight: number,
    sumDy64: number, sumDyXmu64: number, count: number, coef: number,
  ): void;
  backwardElemtChannels(dy: number, x: number, dx: number, N: number, C: number, S: number, channelsLast: number, coef: number): void;
  layerNormForward(
    x: number, y: number, R: number, L: number, eps: number, weight: number, bias: number, mean64: number, invstd64: number,
  ): void;
  layerNormBackward(
    dy: number, x: number, dx: number, R: number, L: number, weight: number, dweight: number, dbias: number,
    mean64: number, invstd64: number, scratch: number,
  ): void;
  groupNormForward(
    x: number, y: number, N: number, C: number, S: number, G: number, eps: number,
    weight: number, bias: number, mean64: number, invstd64: number, var64: number,
  ): void;
  groupNormBackward(
    dy: number, x: number, dx: number, N: number, C: number, S: number, G: number,
    weight: number, dweight: number, dbias: number, mean64: number, invstd64: number, sums: number,
  ): void;
}

export type WasmBuild = "simd" | "scalar";

export interface BackendOptions {
  /** true: the SIMD build (throws where unsupported); false: the scalar build; "auto" (default): SIMD where it validates. */
  simd?: boolean | "auto";
  /** Ceiling of the linear memory in bytes (default and maximum: 4 GiB, the wasm32 limit). */
  maxMemoryBytes?: number;
}

const compiled: Partial<Record<WasmBuild, WebAssembly.Module>> = {};
const decoded: Partial<Record<WasmBuild, Uint8Array<ArrayBuffer>>> = {};
let simdSupport: boolean | undefined;

function bytesOf(build: WasmBuild): Uint8Array<ArrayBuffer> {
  const cached = decoded[build];
  if (cached) return cached;
  const text = atob(build === "simd" ? simdBase64 : scalarBase64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return (decoded[build] = bytes);
}

/** Whether this engine accepts the SIMD build (WebAssembly.validate of the real binary). */
export function simdSupported(): boolean {
  if (simdSupport === undefined) simdSupport = WebAssembly.validate(bytesOf("simd"));
  return simdSupport;
}

function moduleOf(build: WasmBuild): WebAssembly.Module {
  return (compiled[build] ??= new WebAssembly.Module(bytesOf(build)));
}

class WasmRegion implements Region {
  private gen32 = -1;
  private gen64 = -1;
  private view32: Float32Array | undefined;
  private view64: Float64Array | undefined;
  private live = true;

  constructor(private readonly mem: LinearMemory, readonly ptr: number, readonly byteLength: number) {}

  f32(): Float32Array {
    const mem = this.mem;
    if (this.gen32 !== mem.generation || this.view32 === undefined) {
      this.view32 = new Float32Array(mem.buffer, this.ptr, this.byteLength >>> 2);
      this.gen32 = mem.generation;
    }
    return this.view32;
  }

  f64(): Float64Array {
    const mem = this.mem;
    if (this.gen64 !== mem.generation || this.view64 === undefined) {
      this.view64 = new Float64Array(mem.buffer, this.ptr, this.byteLength >>> 3);
      this.gen64 = mem.generation;
    }
    return this.view64;
  }

  free(): void {
    if (!this.live) return;
    this.live = false;
    this.mem.release(this.ptr);
  }
}

const ptrOf = (r: Region | null): number => (r === null ? 0 : r.ptr);

class WasmBackend implements Backend {
  private readonly mem: LinearMemory;

  constructor(readonly kind: WasmBuild, private readonly k: KernelExports, maxBytes: number) {
    this.mem = new LinearMemory(k.memory, Math.max(64, k.heapBase()), maxBytes);
  }

  alloc(bytes: number): Region {
    return new WasmRegion(this.mem, this.mem.alloc(bytes), bytes);
  }

  memoryStats(): MemoryStats {
    return this.mem.stats();
  }

  trainForward(
    x: Region, y: Region, d: Dims, eps: number, weight: Region | null, bias: Region | null, ch: ChannelBuffers, relu: boolean,
  ): void {
    this.k.batchNormTrainForward(
      x.ptr, y.ptr, d.N, d.C, d.S, +d.channelsLast, eps, ptrOf(weight), ptrOf(bias),
      ch.mean.ptr, ch.var.ptr, ch.invstd.ptr, ch.coef.ptr, ch.scratch.ptr, +relu,
    );
  }

  evalForward(
    x: Region, y: Region, d: Dims, eps: number, weight: Region | null, bias: Region | null,
    runMean: Region, runVar: Region, ch: ChannelBuffers, relu: boolean,
  ): void {
    this.k.batchNormEvalForward(
      x.ptr, y.ptr, d.N, d.C, d.S, +d.channelsLast, eps, ptrOf(weight), ptrOf(bias),
      runMean.ptr, runVar.ptr, ch.mean.ptr, ch.var.ptr, ch.invstd.ptr, ch.coef.ptr, +relu,
    );
  }

  backward(
    dy: Region, x: Region, dx: Region | null, d: Dims, training: boolean, weight: Region | null,
    dweight: Region | null, dbias: Region | null, ch: ChannelBuffers, relu: FusedRelu | null,
  ): void {
    const k = this.k;
    // The mask needs the forward's exact f32 coefficients: the same formula on the same f64
    // mean / invstd, so recomputing them gives them bit for bit.
    if (relu) k.applyCoefficients(d.C, ch.mean.ptr, ch.invstd.ptr, ptrOf(weight), ptrOf(relu.bias), ch.coef.ptr);
    k.batchNormBackward(
      dy.ptr, x.ptr, ptrOf(dx), d.N, d.C, d.S, +d.channelsLast, +training,
      ch.mean.ptr, ch.invstd.ptr, ptrOf(weight), ptrOf(dweight), ptrOf(dbias),
      ch.sumDy.ptr, ch.sumDyXmu.ptr, ch.coef.ptr, ch.scratch.ptr, relu ? 1 : 0,
    );
  }

  updateRunningStats(C: number, runMean: Region, runVar: Region, ch: ChannelBuffers, momentum: number, varFactor: number): void {
    this.k.updateRunningStats(C, runMean.ptr, runVar.ptr, ch.mean.ptr, ch.var.ptr, momentum, varFactor);
  }

  channelStats(x: Region, d: Dims, ch: ChannelBuffers): void {
    this.k.channelStats(x.ptr, d.N, d.C, d.S, +d.channelsLast, ch.mean.ptr, ch.var.ptr, ch.scratch.ptr);
  }

  applyStats(x: Region, y: Region, d: Dims, weight: Region | null, bias: Region | null, ch: ChannelBuffers): void {
    this.k.applyCoefficients(d.C, ch.mean.ptr, ch.invstd.ptr, ptrOf(weight), ptrOf(bias), ch.coef.ptr);
    this.k.applyChannels(x.ptr, y.ptr, d.N, d.C, d.S, +d.channelsLast, ch.coef.ptr, -Infinity);
  }

  backwardReduce(dy: Region, x: Region, d: Dims, ch: ChannelBuffers): void {
    this.k.backwardReduce(dy.ptr, x.ptr, d.N, d.C, d.S, +d.channelsLast, ch.mean.ptr, ch.sumDy.ptr, ch.sumDyXmu.ptr, ch.scratch.ptr);
  }

  backwardElemt(dy: Region, x: Region, dx: Region, d: Dims, weight: Region | null, ch: ChannelBuffers, count: number): void {
    const k = this.k;
    k.backwardCoefficients(d.C, 1, ch.mean.ptr, ch.invstd.ptr, ptrOf(weight), ch.sumDy.ptr, ch.sumDyXmu.ptr, count, ch.coef.ptr);
    k.backwardElemtChannels(dy.ptr, x.ptr, dx.ptr, d.N, d.C, d.S, +d.channelsLast, ch.coef.ptr);
  }

  layerNormForward(
    x: Region, y: Region, R: number, L: number, eps: number, weight: Region | null, bias: Region | null,
    mean: Region, invstd: Region,
  ): void {
    this.k.layerNormForward(x.ptr, y.ptr, R, L, eps, ptrOf(weight), ptrOf(bias), mean.ptr, invstd.ptr);
  }

  layerNormBackward(
    dy: Region, x: Region, dx: Region | null, R: number, L: number, weight: Region | null,
    dweight: Region | null, dbias: Region | null, mean: Region, invstd: Region, scratch: Region,
  ): void {
    this.k.layerNormBackward(
      dy.ptr, x.ptr, ptrOf(dx), R, L, ptrOf(weight), ptrOf(dweight), ptrOf(dbias), mean.ptr, invstd.ptr, scratch.ptr,
    );
  }

  groupNormForward(
    x: Region, y: Region, d: GroupDims, eps: number, weight: Region | null, bias: Region | null,
    mean: Region, invstd: Region, variance: Region | null,
  ): void {
    this.k.groupNormForward(
      x.ptr, y.ptr, d.N, d.C, d.S, d.G, eps, ptrOf(weight), ptrOf(bias), mean.ptr, invstd.ptr, ptrOf(variance),
    );
  }

  groupNormBackward(
    dy: Region, x: Region, dx: Region | null, d: GroupDims, weight: Region | null,
    dweight: Region | null, dbias: Region | null, mean: Region, invstd: Region, scratch: Region,
  ): void {
    this.k.groupNormBackward(
      dy.ptr, x.ptr, ptrOf(dx), d.N, d.C, d.S, d.G, ptrOf(weight), ptrOf(dweight), ptrOf(dbias),
      mean.ptr, invstd.ptr, scratch.ptr,
    );
  }

  copy(dst: Region, src: Region, bytes: number): void {
    this.k.copyBytes(dst.ptr, src.ptr, bytes);
  }
}

/**
 * A fresh kernel instance with its own linear memory. Synchronous: the binaries are
 * inlined and small, so compiling them does not need a promise.
 */
export function createBackend(options: BackendOptions = {}): Backend {
  const { simd = "auto", maxMemoryBytes = WASM32_MAX_BYTES } = options;
  if (simd !== "auto" && typeof simd !== "boolean") {
    throw new Error(`createBackend: option simd must be true, false or "auto", got ${String(simd)}`);
  }
  if (!Number.isInteger(maxMemoryBytes) || maxMemoryBytes < 65536 || maxMemoryBytes > WASM32_MAX_BYTES) {
    throw new Error(
      `createBackend: option maxMemoryBytes must be an integer from 65536 to ${WASM32_MAX_BYTES}, got ${String(maxMemoryBytes)}`,
    );
  }
  let build: WasmBuild = simd === false ? "scalar" : "simd";
  if (build === "simd" && !simdSupported()) {
    if (simd === true) throw new Error("createBackend: simd: true, but this engine does not support WebAssembly SIMD");
    build = "scalar";
  }
  const instance = new WebAssembly.Instance(moduleOf(build), {});
  return new WasmBackend(build, instance.exports as unknown as KernelExports, maxMemoryBytes);
}
