// The argument block of a kernel call (assembly/block.ts has the kernels' side): one
// region holding every per-channel (batch norm) or per-row / per-group (layer and group
// norm) array of the call, for K statistics and P parameters:
//   f64 K each: mean, var (biased), invstd, sumDy, sumDyXmu
//   f32 P each: weight, bias, dweight, dbias, runMean, runVar, addBias, daddBias
//   f32 7P: coef (kernel-private), then scratch (kernel-private)
// K is rounded up to even and P to a multiple of 4 so every array starts 16-byte aligned.

import type { Region } from "./backend.js";

export const STAT_FIELDS = ["mean", "var", "invstd", "sumDy", "sumDyXmu"] as const;
export const PARAM_FIELDS = ["weight", "bias", "dweight", "dbias", "runMean", "runVar", "addBias", "daddBias"] as const;
export type StatField = (typeof STAT_FIELDS)[number];
export type ParamField = (typeof PARAM_FIELDS)[number];
/** Every named part of a block (the kernel declaration's reads / writes name these too). */
export type BlockField = StatField | ParamField | "coef" | "scratch";

const statBytes = (K: number) => ((K + 1) & ~1) * 8;
const paramBytes = (P: number) => ((P + 3) & ~3) * 4;

/** Byte offset of a field in a block of K statistics and P parameters. */
export function fieldOffset(field: BlockField, K: number, P: number): number {
  const stats = STAT_FIELDS.length * statBytes(K);
  if (field === "coef") return stats + PARAM_FIELDS.length * paramBytes(P);
  if (field === "scratch") return stats + (PARAM_FIELDS.length + 7) * paramBytes(P);
  const s = STAT_FIELDS.indexOf(field as StatField);
  return s >= 0 ? s * statBytes(K) : stats + PARAM_FIELDS.indexOf(field as ParamField) * paramBytes(P);
}

/** Bytes of a block with `scratch` bytes of kernel scratch. */
export function blockBytes(K: number, P: number, scratch: number): number {
  return fieldOffset("scratch", K, P) + scratch;
}

export class Block {
  /** Views of the fields, made once per view of the region (a memory growth makes new ones). */
  private views = new Map<BlockField, Float32Array | Float64Array>();
  private base: Float32Array | undefined;

  constructor(readonly region: Region, readonly K: number, readonly P: number) {}

  get ptr(): number {
    return this.region.ptr;
  }

  /** A view of a statistics array (K values), valid until the backend next allocates. */
  stat(field: StatField): Float64Array {
    return this.view(field, 8, this.K) as Float64Array;
  }

  /** A view of a parameter array (P values), valid until the backend next allocates. */
  param(field: ParamField): Float32Array {
    return this.view(field, 4, this.P) as Float32Array;
  }

  private view(field: BlockField, bytes: 4 | 8, length: number): Float32Array | Float64Array {
    const base = this.region.f32();
    if (base !== this.base) {
      this.base = base;
      this.views.clear();
    }
    let v = this.views.get(field);
    if (v === undefined) {
      const at = fieldOffset(field, this.K, this.P) / bytes;
      v = (bytes === 8 ? this.region.f64() : base).subarray(at, at + length);
      this.views.set(field, v);
    }
    return v;
  }
}
