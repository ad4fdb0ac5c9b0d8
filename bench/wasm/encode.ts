// A minimal WebAssembly binary encoder for the bench's own tiny modules (the copy floor, the
// separate ReLU pass): a handful of opcodes, one imported memory ("env" "memory"), exported
// functions. Assembled here at load time, so the bench and its tests need no build step and
// never depend on exports of the package's kernels. Each module is the moral equivalent of
// an AssemblyScript file compiled with `--importMemory` (and `--enable simd` for the SIMD
// variants, as the backend's SIMD build).

export type Bytes = number[];

/** Unsigned LEB128. */
export function u32(n: number): Bytes {
  const out: Bytes = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32 constants). */
export function s32(n: number): Bytes {
  const out: Bytes = [];
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const vec = (items: readonly Bytes[]): Bytes => [...u32(items.length), ...items.flat()];
const name = (s: string): Bytes => vec([...new TextEncoder().encode(s)].map((b) => [b]));
const section = (id: number, body: Bytes): Bytes => [id, ...u32(body.length), ...body];

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

const simd = (code: number): Bytes => [0xfd, ...u32(code)];

/** The instructions the bench's modules use (memarg alignment is the natural one). */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number): Bytes => [0x0c, ...u32(depth)],
  brIf: (depth: number): Bytes => [0x0d, ...u32(depth)],
  select: [0x1b],
  get: (i: number): Bytes => [0x20, ...u32(i)],
  set: (i: number): Bytes => [0x21, ...u32(i)],
  tee: (i: number): Bytes => [0x22, ...u32(i)],
  f32Load: [0x2a, 2, 0],
  f32Store: [0x38, 2, 0],
  i32Const: (v: number): Bytes => [0x41, ...s32(v)],
  f32Zero: [0x43, 0, 0, 0, 0],
  i32GeU: [0x4f],
  f32Lt: [0x5d],
  f32Gt: [0x5e],
  i32Add: [0x6a],
  i32And: [0x71],
  i32Shl: [0x74],
  /** memory.copy, memory 0 to memory 0 (bulk memory). */
  memoryCopy: [0xfc, ...u32(10), 0, 0],
  v128Load: (offset: number): Bytes => [...simd(0x00), 4, ...u32(offset)],
  v128Store: (offset: number): Bytes => [...simd(0x0b), 4, ...u32(offset)],
  v128Zero: [...simd(0x0c), ...new Array<number>(16).fill(0)],
  f32x4Gt: simd(0x44),
  v128And: simd(0x4e),
  /** pmax(a, b) = a < b ? b : a: keeps NaN and -0 of a, one maxps. */
  f32x4Pmax: simd(0xeb),
} as const;

export interface Func {
  readonly name: string;
  readonly params: readonly number[];
  /** Types of the locals after the parameters. */
  readonly locals: readonly number[];
  readonly body: Bytes;
}

/**
 * A module importing "env" "memory" (shared when the memory given is, as a threaded
 * backend's) and exporting `funcs`, none of which returns a value.
 */
export function assemble(funcs: readonly Func[], sharedMemory = false): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec([])]);
  // Limits: no maximum (any memory's size fits), or for a shared memory the wasm32 maximum.
  const limits = sharedMemory ? [0x03, ...u32(0), ...u32(65536)] : [0x00, ...u32(0)];
  const memoryImport = [...name("env"), ...name("memory"), 0x02, ...limits];
  const code = funcs.map((f) => {
    const body = [...vec(f.locals.map((t) => [...u32(1), t])), ...f.body, ...op.end];
    return [...u32(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([memoryImport])),
    ...section(3, vec(funcs.map((_, i) => u32(i)))),
    ...section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, ...u32(i)]))),
    ...section(10, vec(code)),
  ]);
}

/** Instantiates `bytes` on `memory`, synchronously (the modules are a few hundred bytes). */
export function instantiate<T>(bytes: Uint8Array<ArrayBuffer>, memory: WebAssembly.Memory): T {
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as T;
}

export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}
