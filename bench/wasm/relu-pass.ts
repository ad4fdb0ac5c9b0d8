// The separate ReLU pass a user of the package would otherwise run after batch norm: wasm
// over the backend's own memory, in place. `relu(p, n)`: y = y < 0 ? 0 : y over n floats at
// byte offset p (pmax, as the fused kernel: NaN and -0 kept); `mask(dst, dy, y, n)`:
// dst = y > 0 ? dy : 0, the gradient through that ReLU. SIMD builds go 4 vectors (64 bytes)
// per iteration, then a scalar tail; scalar builds are the tail loop alone.
import type { Backend } from "../../src/runtime/backend.js";
import { F32, I32, assemble, instantiate, isShared, op, type Bytes } from "./encode.js";

export interface ReluExports {
  relu(p: number, n: number): void;
  mask(dst: number, dy: number, y: number, n: number): void;
}

/**
 * The backend's WebAssembly.Memory: `memory` on the restructured backends, `k.memory` (the
 * kernel instance's exports) before; undefined for a backend without one (the reference).
 */
export function backendMemory(backend: Backend): WebAssembly.Memory | undefined {
  const b = backend as unknown as { memory?: WebAssembly.Memory; k?: { memory?: WebAssembly.Memory } };
  return b.memory ?? b.k?.memory;
}

/** while (ptrs[0] < limit) { body; every ptr += step } */
function loop(ptrs: readonly number[], limit: number, step: number, body: Bytes): Bytes {
  return [
    ...op.block, ...op.loop,
    ...op.get(ptrs[0]), ...op.get(limit), ...op.i32GeU, ...op.brIf(1),
    ...body,
    ...ptrs.flatMap((p) => [...op.get(p), ...op.i32Const(step), ...op.i32Add, ...op.set(p)]),
    ...op.br(0),
    ...op.end, ...op.end,
  ];
}

/** local = base + ((n & mask) << 2) */
const endOf = (local: number, base: number, n: number, mask: number): Bytes =>
  [...op.get(base), ...op.get(n), ...op.i32Const(mask), ...op.i32And, ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.set(local)];

const VECTORS = 4;

function reluFunc(simd: boolean) {
  // params p 0, n 1; locals end 2, vend 3, v 4
  const vectorBody = Array.from({ length: VECTORS }, (_, k) =>
    [...op.get(0), ...op.get(0), ...op.v128Load(16 * k), ...op.v128Zero, ...op.f32x4Pmax, ...op.v128Store(16 * k)]).flat();
  const scalarBody = [...op.get(0), ...op.f32Zero, ...op.get(0), ...op.f32Load, ...op.tee(4), ...op.get(4), ...op.f32Zero, ...op.f32Lt, ...op.select, ...op.f32Store];
  return {
    name: "relu", params: [I32, I32], locals: [I32, I32, F32],
    body: [
      ...endOf(2, 0, 1, -1),
      ...(simd ? [...endOf(3, 0, 1, -4 * VECTORS), ...loop([0], 3, 16 * VECTORS, vectorBody)] : []),
      ...loop([0], 2, 4, scalarBody),
    ],
  };
}

function maskFunc(simd: boolean) {
  // params dst 0, dy 1, y 2, n 3; locals end 4, vend 5
  const vectorBody = Array.from({ length: VECTORS }, (_, k) =>
    [...op.get(0), ...op.get(1), ...op.v128Load(16 * k), ...op.get(2), ...op.v128Load(16 * k), ...op.v128Zero, ...op.f32x4Gt, ...op.v128And, ...op.v128Store(16 * k)]).flat();
  const scalarBody = [...op.get(0), ...op.get(1), ...op.f32Load, ...op.f32Zero, ...op.get(2), ...op.f32Load, ...op.f32Zero, ...op.f32Gt, ...op.select, ...op.f32Store];
  return {
    name: "mask", params: [I32, I32, I32, I32], locals: [I32, I32],
    body: [
      ...endOf(4, 0, 3, -1),
      ...(simd ? [...endOf(5, 0, 3, -4 * VECTORS), ...loop([0, 1, 2], 5, 16 * VECTORS, vectorBody)] : []),
      ...loop([0, 1, 2], 4, 4, scalarBody),
    ],
  };
}

export function reluPassBytes(simd: boolean, sharedMemory = false): Uint8Array<ArrayBuffer> {
  return assemble([reluFunc(simd), maskFunc(simd)], sharedMemory);
}

/** The ReLU pass over `memory` (SIMD unless simd is false). */
export function reluPass(memory: WebAssembly.Memory, simd = true): ReluExports {
  return instantiate<ReluExports>(reluPassBytes(simd, isShared(memory)), memory);
}

/** The ReLU pass over a wasm backend's memory, SIMD on the SIMD build. */
export function reluPassFor(backend: Backend): ReluExports {
  const memory = backendMemory(backend);
  if (!memory) throw new Error(`bench: the ${backend.kind} backend has no WebAssembly.Memory for the ReLU pass`);
  return reluPass(memory, backend.kind === "simd");
}
