// The copy floor's module: `copy(dst, src, n)` is one wasm `memory.copy` of n bytes, in a
// memory of its own (the bench's, not the backend's: the floor owes nothing to the package).
import { I32, assemble, instantiate, op } from "./encode.js";

export interface CopyExports {
  copy(dst: number, src: number, bytes: number): void;
}

const BYTES = assemble([
  { name: "copy", params: [I32, I32, I32], locals: [], body: [...op.get(0), ...op.get(1), ...op.get(2), ...op.memoryCopy] },
]);

const PAGE = 65536;
const align64 = (n: number) => Math.ceil(n / 64) * 64;

export interface CopyFloor {
  readonly memory: WebAssembly.Memory;
  /** Byte offsets of the two regions of `bytes` bytes each. */
  readonly src: number;
  readonly dst: number;
  /** memory.copy of the region src to dst. */
  copy(): void;
}

/** A fresh memory holding two regions of `bytes` bytes, 64-byte aligned, and the copy between them. */
export function copyFloor(bytes: number): CopyFloor {
  const src = 0, dst = align64(Math.max(bytes, 1));
  const memory = new WebAssembly.Memory({ initial: Math.ceil((dst + bytes) / PAGE) || 1 });
  const k = instantiate<CopyExports>(BYTES, memory);
  return { memory, src, dst, copy: () => k.copy(dst, src, bytes) };
}
