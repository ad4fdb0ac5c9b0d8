// The pure-JS reference as a Backend: regions are plain ArrayBuffers, so every module and
// functional op can run on it unchanged (the tests run one body against all backends).

import type { Backend, ChannelBuffers, Dims, FusedRelu, GroupDims, Region } from "./backend.js";
import type { MemoryStats } from "./memory.js";
import {
  referenceAffineGrads, referenceApply, referenceBackwardElemt, referenceBackwardReduce,
  referenceChannelStats, referenceInvstd, referenceRelu, referenceReluMask, referenceUpdateRunningStats,
} from "./reference.js";
import {
  referenceGroupNorm, referenceGroupNormBackward, referenceLayerNorm, referenceLayerNormBackward,
} from "./reference-family.js";

class HeapRegion implements Region {
  readonly ptr = 0;
  private readonly buffer: ArrayBuffer;
  private readonly view32: Float32Array;
  private view64: Float64Array | undefined;

  constructor(readonly byteLength: number, private readonly owner: ReferenceBackend) {
    this.buffer = new ArrayBuffer(Math.ceil(byteLength / 8) * 8);
    this.view32 = new Float32Array(this.buffer, 0, byteLength >>> 2);
  }

  f32(): Float32Array {
    return this.view32;
  }

  f64(): Float64Array {
    return (this.view64 ??= new Float64Array(this.buffer, 0, this.byteLength >>> 3));
  }

  free(): void {
    this.owner.released(this);
  }
}

const f32Of = (r: Region | null) => (r === null ? null : r.f32());
/** The first n floats of a region (regions may be larger than the values they hold). */
const sub = (r: Region | null, n: number) => (r === null ? null : r.f32().subarray(0, n));

class ReferenceBackend implements Backend {
  readonly kind = "reference" as const;
  private readonly live = new Set<Region>();
  private liveBytes = 0;
  private highWater = 0;

  alloc(bytes: number): Region {
    const region = new HeapRegion(bytes, this);
    this.live.add(region);
    this.liveBytes += bytes;
    this.highWater = Math.max(this.highWater, this.liveBytes);
    return region;
  }

  released(region: Region): void {
    if (this.live.delete(region)) this.liveBytes -= region.byteLength;
  }

  memoryStats(): MemoryStats {
    return {
      liveBytes: this.liveBytes,
      highWaterBytes: this.highWater,
      memoryBytes: this.liveBytes,
      maxBytes: Number.MAX_SAFE_INTEGER,
      liveBlocks: this.live.size,
    };
  }

  trainForward(
    x: Region, y: Region, d: Dims, eps: number, weight: Region | null, bias: Region | null, ch: ChannelBuffers, relu: boolean,
  ): void {
    referenceChannelStats(x.f32(), d, ch.mean.f64(), ch.var.f64());
    referenceInvstd(ch.var.f64(), eps, ch.invstd.f64());
    referenceApply(x.f32(), y.f32(), d, ch.mean.f64(), ch.invstd.f64(), f32Of(weight), f32Of(bias));
    if (relu) referenceRelu(y.f32());
  }

  evalForward(
    x: Region, y: Region, d: Dims, eps: number, weight: Region | null, bias: Region | null,
    runMean: Region, runVar: Region, ch: ChannelBuffers, relu: boolean,
  ): void {
    const C = d.C;
    ch.mean.f64().set(runMean.f32().subarray(0, C));
    ch.var.f64().set(runVar.f32().subarray(0, C));
    referenceInvstd(ch.var.f64(), eps, ch.invstd.f64());
    referenceApply(x.f32(), y.f32(), d, ch.mean.f64(), ch.invstd.f64(), f32Of(weight), f32Of(bias));
    if (relu) referenceRelu(y.f32());
  }

  backward(
    dy: Region, x: Region, dx: Region | null, d: Dims, training: boolean, weight: Region | null,
    dweight: Region | null, dbias: Region | null, ch: ChannelBuffers, relu: FusedRelu | null,
  ): void {
    const mean = ch.mean.f64(), invstd = ch.invstd.f64(), sumDy = ch.sumDy.f64(), sumDyXmu = ch.sumDyXmu.f64();
    let g: Float32Array | Float64Array = dy.f32();
    if (relu) {
      g = new Float64Array(g.length);
      referenceReluMask(dy.f32(), x.f32(), d, mean, invstd, f32Of(weight), f32Of(relu.bias), g);
    }
    referenceBackwardReduce(g, x.f32(), d, mean, sumDy, sumDyXmu);
    if (dx) {
      referenceBackwardElemt(g, x.f32(), dx.f32(), d, training, mean, invstd, f32Of(weight), sumDy, sumDyXmu, d.N * d.S);
    }
    referenceAffineGrads(sumDy, sumDyXmu, invstd, f32Of(dweight), f32Of(dbias));
  }

  updateRunningStats(C: number, runMean: Region, runVar: Region, ch: ChannelBuffers, momentum: number, varFactor: number): void {
    referenceUpdateRunningStats(
      runMean.f32().subarray(0, C), runVar.f32().subarray(0, C), ch.mean.f64(), ch.var.f64(), momentum, varFactor,
    );
  }

  channelStats(x: Region, d: Dims, ch: ChannelBuffers): void {
    referenceChannelStats(x.f32(), d, ch.mean.f64(), ch.var.f64());
  }

  applyStats(x: Region, y: Region, d: Dims, weight: Region | null, bias: Region | null, ch: ChannelBuffers): void {
    referenceApply(x.f32(), y.f32(), d, ch.mean.f64(), ch.invstd.f64(), f32Of(weight), f32Of(bias));
  }

  backwardReduce(dy: Region, x: Region, d: Dims, ch: ChannelBuffers): void {
    referenceBackwardReduce(dy.f32(), x.f32(), d, ch.mean.f64(), ch.sumDy.f64(), ch.sumDyXmu.f64());
  }

  backwardElemt(dy: Region, x: Region, dx: Region, d: Dims, weight: Region | null, ch: ChannelBuffers, count: number): void {
    referenceBackwardElemt(
      dy.f32(), x.f32(), dx.f32(), d, true, ch.mean.f64(), ch.invstd.f64(), f32Of(weight), ch.sumDy.f64(), ch.sumDyXmu.f64(), count,
    );
  }

  layerNormForward(
    x: Region, y: Region, R: number, L: number, eps: number, weight: Region | null, bias: Region | null,
    mean: Region, invstd: Region,
  ): void {
    referenceLayerNorm(x.f32(), y.f32(), R, L, eps, f32Of(weight), f32Of(bias), mean.f64(), invstd.f64());
  }

  layerNormBackward(
    dy: Region, x: Region, dx: Region | null, R: number, L: number, weight: Region | null,
    dweight: Region | null, dbias: Region | null, mean: Region, invstd: Region,
  ): void {
    referenceLayerNormBackward(
      dy.f32(), x.f32(), f32Of(dx), R, L, f32Of(weight), sub(dweight, L), sub(dbias, L), mean.f64(), invstd.f64(),
    );
  }

  groupNormForward(
    x: Region, y: Region, d: GroupDims, eps: number, weight: Region | null, bias: Region | null,
    mean: Region, invstd: Region, variance: Region | null,
  ): void {
    referenceGroupNorm(
      x.f32(), y.f32(), d, eps, f32Of(weight), f32Of(bias), mean.f64(), invstd.f64(), variance && variance.f64(),
    );
  }

  groupNormBackward(
    dy: Region, x: Region, dx: Region | null, d: GroupDims, weight: Region | null,
    dweight: Region | null, dbias: Region | null, mean: Region, invstd: Region,
  ): void {
    referenceGroupNormBackward(
      dy.f32(), x.f32(), f32Of(dx), d, f32Of(weight), sub(dweight, d.C), sub(dbias, d.C), mean.f64(), invstd.f64(),
    );
  }

  copy(dst: Region, src: Region, bytes: number): void {
    new Uint8Array(dst.f32().buffer, dst.f32().byteOffset, bytes).set(new Uint8Array(src.f32().buffer, src.f32().byteOffset, bytes));
  }
}

/** A backend that runs the pure-JS reference (float64 accumulation). */
export function createReferenceBackend(): Backend {
  return new ReferenceBackend();
}
