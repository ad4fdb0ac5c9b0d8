// The kernel declaration (src/runtime/kernels.ts) against what runs: every build exports
// exactly the declared kernels with the declared arities, its argument block has the size
// the host computes, and every backend's kernels write only what they declare and read
// nothing they do not declare.
import { describe, expect, it } from "vitest";
import simdBase64 from "../src/wasm/simd.js";
import scalarBase64 from "../src/wasm/scalar.js";
import simdThreadsBase64 from "../src/wasm/simd-threads.js";
import scalarThreadsBase64 from "../src/wasm/scalar-threads.js";
import type { KernelBackend, Region } from "../src/runtime/backend.js";
import { Block, blockBytes, PARAM_FIELDS, STAT_FIELDS, fieldOffset, type BlockField } from "../src/runtime/block.js";
import { FLAGS, KERNELS, THREAD_KERNELS, type KernelArgs, type KernelName, type ThreadKernelName } from "../src/runtime/kernels.js";
import { groupScratch } from "../src/ops/norms.js";
import { BACKENDS } from "./helpers/backends.js";
import { seededRandom } from "./helpers/random.js";

const BUILDS = { simd: simdBase64, scalar: scalarBase64 };
const THREADS_BUILDS = { "simd-threads": simdThreadsBase64, "scalar-threads": scalarThreadsBase64 };
const bytesOf = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
const NAMES = Object.keys(KERNELS) as KernelName[];
const THREAD_NAMES = Object.keys(THREAD_KERNELS) as ThreadKernelName[];

describe("the wasm exports are the declared kernels", () => {
  for (const [build, b64] of Object.entries(BUILDS)) {
    it(`${build}: names and arities`, () => {
      const module = new WebAssembly.Module(bytesOf(b64));
      const exported = WebAssembly.Module.exports(module).filter((e) => e.kind === "function").map((e) => e.name);
      expect(exported.sort()).toEqual([...NAMES, "blockBytes", "heapBase"].sort());
      const exports = new WebAssembly.Instance(module, {}).exports as Record<string, (...a: number[]) => number>;
      for (const name of NAMES) expect(exports[name].length, name).toBe(KERNELS[name].args.length);
      for (const [K, P, scratch] of [[1, 1, 0], [3, 5, 20 * 5], [4096, 768, 24 * 768], [7, 2, 13]]) {
        expect(exports.blockBytes(K, P, scratch), `blockBytes(${K}, ${P}, ${scratch})`).toBe(blockBytes(K, P, scratch));
      }
    });
  }
  // The threads builds (assembly/threads.ts) add the threaded backend's own kernels and setUnits.
  for (const [build, b64] of Object.entries(THREADS_BUILDS)) {
    it(`${build}: names and arities, the threaded backend's kernels included`, () => {
      const module = new WebAssembly.Module(bytesOf(b64));
      const exported = WebAssembly.Module.exports(module).filter((e) => e.kind === "function").map((e) => e.name);
      const geometry = ["statsBlockRows", "statsSlotBytes", "gradBlockRows"];
      expect(exported.sort()).toEqual([...NAMES, ...THREAD_NAMES, ...geometry, "blockBytes", "heapBase", "setUnits"].sort());
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
      const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, (...a: number[]) => number>;
      for (const name of NAMES) expect(exports[name].length, name).toBe(KERNELS[name].args.length);
      for (const name of THREAD_NAMES) expect(exports[name].length, name).toBe(THREAD_KERNELS[name].length);
    });
  }
});

/** One call of each kernel on small tensors: its dims, and the block's K, P and scratch. */
interface Setup {
  dims: Record<string, number>;
  elements: number;
  block: [number, number, number];
  /** Flags beyond the common ones (the row norms: centered, or not, with the residual add's bias). */
  flags?: number;
}

/** `variant`: channels last for batch and group norm, layer norm rather than RMS norm for the row norms. */
function setupOf(name: KernelName, variant: boolean): Setup {
  const channelsLast = variant;
  if (name.startsWith("layerNorm")) return { dims: { R: 4, L: 9 }, elements: 36, block: [4, 9, 24 * 9] };
  if (name.startsWith("rowNorm")) {
    return { dims: { R: 4, L: 9 }, elements: 36, block: [4, 9, 36 * 9], flags: FLAGS.addBias | FLAGS.daddBias | (variant ? FLAGS.centered : 0) };
  }
  if (name.startsWith("groupNorm")) {
    // Groups of 21 values: past the all-f64 paths of short groups, in either layout.
    return { dims: { N: 2, C: 6, S: 7, G: 2 }, elements: 84, block: [4, 6, groupScratch(2, 6)] };
  }
  // Batch norm: planar, or channels last; more than EXACT_COUNT values per channel.
  const dims = { N: 3, C: 5, S: channelsLast ? 4 : 7 };
  return { dims, elements: dims.N * dims.C * dims.S, block: [5, 5, 20 * 5] };
}

const TENSORS = ["x", "y", "dy", "dx", "residual", "sum", "dsum"] as const;
const FIELDS: BlockField[] = [...STAT_FIELDS, ...PARAM_FIELDS, "coef", "scratch"];

/** Byte ranges of each field of a block. */
function fieldRanges(K: number, P: number, scratch: number): Map<BlockField, [number, number]> {
  const ends = [...FIELDS.slice(1).map((f) => fieldOffset(f, K, P)), blockBytes(K, P, scratch)];
  return new Map(FIELDS.map((f, i) => [f, [fieldOffset(f, K, P), ends[i]]]));
}

/** Fills a region's bytes [from, to) with values a kernel can take: positive where a variance or invstd is read. */
function fill(region: Region, from: number, to: number, rand: () => number, positive: boolean): void {
  const f32 = new Float32Array(region.f32().buffer, region.f32().byteOffset + from, (to - from) >> 2);
  f32.forEach((_, i) => (f32[i] = positive ? 0.5 + rand() : rand() * 4 - 2));
}

function fillF64(block: Block, field: (typeof STAT_FIELDS)[number], rand: () => number, positive: boolean): void {
  const v = block.stat(field);
  v.forEach((_, i) => (v[i] = positive ? 0.5 + rand() : rand() * 4 - 2));
}

const bytes = (region: Region, from: number, to: number) =>
  new Uint8Array(region.f32().buffer, region.f32().byteOffset + from, to - from).slice();

describe("each kernel writes only what it declares and reads nothing else", () => {
  for (const backendCase of BACKENDS) {
    it(`${backendCase.name}`, () => {
      const backend = backendCase.make() as KernelBackend;
      const rand = seededRandom(1234);
      let checked = 0;
      for (const name of NAMES) {
        const spec = KERNELS[name];
        const plain = setupOf(name, false);
        const variants = "S" in plain.dims || plain.flags !== undefined ? [false, true] : [false];
        for (const variant of variants) {
          const channelsLast = variant && "S" in plain.dims;
          const { dims, elements, block: [K, P, scratch], flags: extra = 0 } = setupOf(name, variant);
          const tensors = Object.fromEntries(TENSORS.map((t) => [t, backend.alloc(elements * 4)])) as Record<string, Region>;
          const blockRegion = backend.alloc(blockBytes(K, P, scratch));
          const block = new Block(blockRegion, K, P);
          const ranges = fieldRanges(K, P, scratch);
          const reads = new Set<string>(spec.reads), writes = new Set<string>(spec.writes);
          const randomize = (keep: (part: string) => boolean) => {
            for (const t of TENSORS) if (!keep(t)) fill(tensors[t], 0, elements * 4, rand, false);
            for (const f of FIELDS) {
              if (keep(f)) continue;
              if ((STAT_FIELDS as readonly string[]).includes(f)) fillF64(block, f as (typeof STAT_FIELDS)[number], rand, f === "var" || f === "invstd");
              else fill(blockRegion, ...ranges.get(f)!, rand, f === "runVar");
            }
          };
          const snapshot = () => ({
            tensors: Object.fromEntries(TENSORS.map((t) => [t, bytes(tensors[t], 0, elements * 4)])),
            fields: Object.fromEntries(FIELDS.map((f) => [f, bytes(blockRegion, ...ranges.get(f)!)])),
          });
          const flags = FLAGS.weight | FLAGS.bias | FLAGS.dweight | FLAGS.dbias | FLAGS.training |
            (channelsLast ? FLAGS.channelsLast : 0) | extra;
          const args = { ...dims, ...tensors, flags, eps: 1e-5, count: (dims.N ?? 0) * (dims.S ?? 0), block };
          const run = () => (backend[name] as (a: KernelArgs<typeof name>) => void)(args as never);

          randomize(() => false);
          const before = snapshot();
          run();
          const after = snapshot();
          for (const part of [...TENSORS, ...FIELDS] as string[]) {
            const a = (TENSORS as readonly string[]).includes(part) ? before.tensors[part] : before.fields[part];
            const b = (TENSORS as readonly string[]).includes(part) ? after.tensors[part] : after.fields[part];
            if (!writes.has(part)) expect(Buffer.from(b).equals(Buffer.from(a)), `${name}: wrote ${part}, which it does not declare`).toBe(true);
          }
          // The same call with everything it neither reads nor writes changed gives the same outputs.
          const restore = (state: ReturnType<typeof snapshot>) => {
            for (const t of TENSORS) new Uint8Array(tensors[t].f32().buffer, tensors[t].f32().byteOffset, elements * 4).set(state.tensors[t]);
            for (const f of FIELDS) {
              const [from, to] = ranges.get(f)!;
              new Uint8Array(blockRegion.f32().buffer, blockRegion.f32().byteOffset + from, to - from).set(state.fields[f]);
            }
          };
          restore(before);
          randomize((part) => reads.has(part) || writes.has(part));
          run();
          const again = snapshot();
          for (const part of writes) {
            const a = (TENSORS as readonly string[]).includes(part) ? after.tensors[part] : after.fields[part];
            const b = (TENSORS as readonly string[]).includes(part) ? again.tensors[part] : again.fields[part];
            if (part === "coef" || part === "scratch") continue; // kernel-private: what they hold is not an output
            expect(Buffer.from(b).equals(Buffer.from(a)), `${name}: ${part} depends on something it does not declare reading`).toBe(true);
          }
          for (const r of [...Object.values(tensors), blockRegion]) r.free();
          checked++;
        }
      }
      expect(checked).toBeGreaterThanOrEqual(NAMES.length);
    });
  }
});
