// Loads the inlined kernels (SIMD build where the engine validates it, else scalar) and
// wraps them as a Backend. Compilation is synchronous and cached per build, so modules can
// be constructed without awaiting anything and the entry point has no top-level await.

import simdBase64 from "../wasm/simd.js";
import scalarBase64 from "../wasm/scalar.js";
import type { Backend, KernelBackend, Region } from "./backend.js";
import { fail } from "./checks.js";
import { KERNELS, type KernelArgs, type KernelName, type Kernels } from "./kernels.js";
import { LinearMemory, WASM32_MAX_BYTES } from "./memory.js";

/** The kernels' exports (assembly/index.ts): every declared kernel, positional numbers. @internal */
export type KernelExports = { memory: WebAssembly.Memory; heapBase(): number } & Record<KernelName, (...args: number[]) => void>;

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

/** The bytes of an inlined binary. @internal */
export function decodeBase64(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function bytesOf(build: WasmBuild): Uint8Array<ArrayBuffer> {
  return (decoded[build] ??= decodeBase64(build === "simd" ? simdBase64 : scalarBase64));
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
  private generation = -1;
  private view32: Float32Array | undefined;
  private view64: Float64Array | undefined;
  private live = true;

  constructor(private readonly mem: LinearMemory, readonly ptr: number, readonly byteLength: number) {}

  /** Drops the cached views when the memory grew (which detached them). */
  private fresh(): void {
    if (this.generation === this.mem.generation) return;
    this.generation = this.mem.generation;
    this.view32 = this.view64 = undefined;
  }

  f32(): Float32Array {
    this.fresh();
    return (this.view32 ??= new Float32Array(this.mem.buffer, this.ptr, this.byteLength >>> 2));
  }

  f64(): Float64Array {
    this.fresh();
    return (this.view64 ??= new Float64Array(this.mem.buffer, this.ptr, this.byteLength >>> 3));
  }

  free(): void {
    if (!this.live) return;
    this.live = false;
    this.mem.release(this.ptr);
  }
}

/** A caller's Float32Array on this memory (KernelBackend.viewRegion): used in place, never freed here. */
class ViewRegion implements Region {
  readonly ptr: number;
  readonly byteLength: number;

  constructor(private readonly mem: LinearMemory, private view: Float32Array) {
    this.ptr = view.byteOffset;
    this.byteLength = view.byteLength;
  }

  f32(): Float32Array {
    // Growth detaches the caller's view (its buffer is no longer the memory's): make a new one.
    if (this.view.buffer !== this.mem.buffer) this.view = new Float32Array(this.mem.buffer, this.ptr, this.byteLength >>> 2);
    return this.view;
  }

  f64(): Float64Array {
    return new Float64Array(this.mem.buffer, this.ptr, this.byteLength >>> 3);
  }

  free(): void {}
}

/** A declared argument as the export takes it: a region or block by address, null as 0. */
type ArgValue = number | { readonly ptr: number } | null;

/** Kernel `name`'s named arguments as the export's positional numbers, into `values`. @internal */
export function positional(name: KernelName, args: object, values: number[]): number[] {
  const names: readonly string[] = KERNELS[name].args;
  const named = args as unknown as Record<string, ArgValue>;
  for (let i = 0; i < names.length; i++) {
    const v = named[names[i]];
    values[i] = typeof v === "number" ? v : v === null ? 0 : v.ptr;
  }
  return values;
}

/**
 * The export of kernel `name` as a function of its named arguments, in the declared order.
 * One array is reused per kernel: the calls are synchronous and never nest.
 */
function bind<K extends KernelName>(exports: KernelExports, name: K): (args: KernelArgs<K>) => void {
  const fn = exports[name];
  const values: number[] = new Array(KERNELS[name].args.length).fill(0);
  return (args) => {
    fn.apply(null, positional(name, args, values));
  };
}

function bindAll(exports: KernelExports): Kernels {
  const kernels: Partial<Record<KernelName, unknown>> = {};
  for (const name of Object.keys(KERNELS) as KernelName[]) kernels[name] = bind(exports, name);
  return kernels as Kernels;
}

/** A backend over an instance's exports (its memory: the instance's own, or a shared one it imports). @internal */
export function wasmBackend(kind: WasmBuild, exports: KernelExports, maxBytes: number): KernelBackend {
  const mem = new LinearMemory(exports.memory, Math.max(64, exports.heapBase()), maxBytes);
  const backend: KernelBackend & { readonly memory: WebAssembly.Memory } = {
    kind,
    // The instance's memory: the bench's second-pass baselines import it.
    memory: exports.memory,
    alloc: (bytes) => new WasmRegion(mem, mem.alloc(bytes), bytes),
    memoryStats: () => mem.stats(),
    viewRegion: (view) => (view.buffer === mem.buffer && view.length > 0 ? new ViewRegion(mem, view) : null),
    ...bindAll(exports),
  };
  return backend;
}

/**
 * A fresh kernel instance with its own linear memory. Synchronous: the binaries are
 * inlined and small, so compiling them does not need a promise.
 */
export function createBackend(options: BackendOptions = {}): Backend {
  return createKernelBackend(options);
}

/** createBackend, typed with its kernels for the package's own callers. @internal */
export function createKernelBackend(options: BackendOptions = {}): KernelBackend {
  const { build, maxMemoryBytes } = resolveBuild("createBackend", options);
  const instance = new WebAssembly.Instance(moduleOf(build), {});
  return wasmBackend(build, instance.exports as unknown as KernelExports, maxMemoryBytes);
}

/**
 * The checked options of a backend factory (`where` names it in errors): the build to run
 * (SIMD where it validates, unless forced) and the memory ceiling. @internal
 */
export function resolveBuild(where: string, options: BackendOptions): { build: WasmBuild; maxMemoryBytes: number } {
  const { simd = "auto", maxMemoryBytes = WASM32_MAX_BYTES } = options;
  if (simd !== "auto" && typeof simd !== "boolean") {
    fail(where, `option simd must be true, false or "auto", got ${String(simd)}`);
  }
  if (!Number.isInteger(maxMemoryBytes) || maxMemoryBytes < 65536 || maxMemoryBytes > WASM32_MAX_BYTES) {
    fail(where, `option maxMemoryBytes must be an integer from 65536 to ${WASM32_MAX_BYTES}, got ${String(maxMemoryBytes)}`);
  }
  let build: WasmBuild = simd === false ? "scalar" : "simd";
  if (build === "simd" && !simdSupported()) {
    if (simd === true) fail(where, "simd: true, but this engine does not support WebAssembly SIMD");
    build = "scalar";
  }
  return { build, maxMemoryBytes };
}
