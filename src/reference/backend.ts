// The pure-JS reference as a Backend: regions are plain ArrayBuffers, so every module and
// functional op can run on it unchanged (the tests run one body against all backends).

import type { Backend, Dims, KernelBackend, Region } from "../runtime/backend.js";
import type { Block, ParamField } from "../runtime/block.js";
import { FLAGS, type Kernels } from "../runtime/kernels.js";
import type { MemoryStats } from "../runtime/memory.js";
import {
  referenceAffineGrads, referenceApply, referenceBackwardElemt, referenceBackwardReduce,
  referenceChannelStats, referenceInvstd, referenceRelu, referenceReluMask,
} from "./batchnorm.js";
import {
  referenceGroupNorm, referenceGroupNormBackward, referenceLayerNorm, referenceLayerNormBackward,
} from "./norms.js";
import { referenceRowNorm, referenceRowNormBackward } from "./rownorm.js";

class HeapRegion implements Region {
  readonly ptr = 0;
  readonly buffer: ArrayBuffer;
  private readonly view32: Float32Array;
  private view64: Float64Array | undefined;

  constructor(readonly byteLength: number, private readonly release: (region: Region) => void) {
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
    this.release(this);
  }
}

const dimsOfArgs = (a: { N: number; C: number; S: number; flags: number }): Dims =>
  ({ N: a.N, C: a.C, S: a.S, channelsLast: (a.flags & FLAGS.channelsLast) !== 0 });
/** A parameter array of the block if its flag is set, else null. */
const param = (b: Block, field: ParamField, flags: number, bit: number) => (flags & bit ? b.param(field) : null);

/** The kernels, straight from the definitions in float64 (reference/batchnorm.ts, reference/norms.ts). */
const referenceKernels: Kernels = {
  batchNormTrainForward(a) {
    const { block: b, flags } = a, d = dimsOfArgs(a);
    referenceChannelStats(a.x.f32(), d, b.stat("mean"), b.stat("var"));
    referenceInvstd(b.stat("var"), a.eps, b.stat("invstd"));
    referenceApply(a.x.f32(), a.y.f32(), d, b.stat("mean"), b.stat("invstd"), param(b, "weight", flags, FLAGS.weight), param(b, "bias", flags, FLAGS.bias));
    if (flags & FLAGS.relu) referenceRelu(a.y.f32());
  },
  batchNormEvalForward(a) {
    const { block: b, flags } = a, d = dimsOfArgs(a);
    b.stat("mean").set(b.param("runMean"));
    b.stat("var").set(b.param("runVar"));
    referenceInvstd(b.stat("var"), a.eps, b.stat("invstd"));
    referenceApply(a.x.f32(), a.y.f32(), d, b.stat("mean"), b.stat("invstd"), param(b, "weight", flags, FLAGS.weight), param(b, "bias", flags, FLAGS.bias));
    if (flags & FLAGS.relu) referenceRelu(a.y.f32());
  },
  batchNormBackward(a) {
    const { block: b, flags } = a, d = dimsOfArgs(a);
    const mean = b.stat("mean"), invstd = b.stat("invstd"), sumDy = b.stat("sumDy"), sumDyXmu = b.stat("sumDyXmu");
    const weight = param(b, "weight", flags, FLAGS.weight);
    let g: Float32Array | Float64Array = a.dy.f32();
    if (flags & FLAGS.relu) {
      g = new Float64Array(g.length);
      referenceReluMask(a.dy.f32(), a.x.f32(), d, mean, invstd, weight, param(b, "bias", flags, FLAGS.bias), g);
    }
    referenceBackwardReduce(g, a.x.f32(), d, mean, sumDy, sumDyXmu);
    if (a.dx) {
      const training = (flags & FLAGS.training) !== 0;
      referenceBackwardElemt(g, a.x.f32(), a.dx.f32(), d, training, mean, invstd, weight, sumDy, sumDyXmu, d.N * d.S);
    }
    referenceAffineGrads(sumDy, sumDyXmu, invstd, param(b, "dweight", flags, FLAGS.dweight), param(b, "dbias", flags, FLAGS.dbias));
  },
  channelStats(a) {
    referenceChannelStats(a.x.f32(), dimsOfArgs(a), a.block.stat("mean"), a.block.stat("var"));
  },
  applyStats(a) {
    const { block: b, flags } = a;
    referenceApply(a.x.f32(), a.y.f32(), dimsOfArgs(a), b.stat("mean"), b.stat("invstd"), param(b, "weight", flags, FLAGS.weight), param(b, "bias", flags, FLAGS.bias));
  },
  backwardReduce(a) {
    const b = a.block;
    referenceBackwardReduce(a.dy.f32(), a.x.f32(), dimsOfArgs(a), b.stat("mean"), b.stat("sumDy"), b.stat("sumDyXmu"));
  },
  backwardElemt(a) {
    const { block: b, flags } = a;
    referenceBackwardElemt(
      a.dy.f32(), a.x.f32(), a.dx!.f32(), dimsOfArgs(a), true, b.stat("mean"), b.stat("invstd"), param(b, "weight", flags, FLAGS.weight),
      b.stat("sumDy"), b.stat("sumDyXmu"), a.count,
    );
  },
  layerNormForward(a) {
    const { block: b, flags } = a;
    referenceLayerNorm(
      a.x.f32(), a.y.f32(), a.R, a.L, a.eps, param(b, "weight", flags, FLAGS.weight), param(b, "bias", flags, FLAGS.bias),
      b.stat("mean"), b.stat("invstd"),
    );
  },
  layerNormBackward(a) {
    const { block: b, flags } = a;
    referenceLayerNormBackward(
      a.dy.f32(), a.x.f32(), a.dx && a.dx.f32(), a.R, a.L, param(b, "weight", flags, FLAGS.weight),
      param(b, "dweight", flags, FLAGS.dweight), param(b, "dbias", flags, FLAGS.dbias), b.stat("mean"), b.stat("invstd"),
    );
  },
  groupNormForward(a) {
    const { block: b, flags } = a;
    referenceGroupNorm(
      a.x.f32(), a.y.f32(), { ...dimsOfArgs(a), G: a.G }, a.eps, param(b, "weight", flags, FLAGS.weight), param(b, "bias", flags, FLAGS.bias),
      b.stat("mean"), b.stat("invstd"), b.stat("var"),
    );
  },
  groupNormBackward(a) {
    const { block: b, flags } = a;
    referenceGroupNormBackward(
      a.dy.f32(), a.x.f32(), a.dx && a.dx.f32(), { ...dimsOfArgs(a), G: a.G }, param(b, "weight", flags, FLAGS.weight),
      param(b, "dweight", flags, FLAGS.dweight), param(b, "dbias", flags, FLAGS.dbias), b.stat("mean"), b.stat("invstd"),
    );
  },
  rowNormForward(a) {
    const { block: b, flags } = a;
    const add = a.residual && a.sum
      ? { residual: a.residual.f32(), addBias: param(b, "addBias", flags, FLAGS.addBias), sum: a.sum.f32() } : null;
    referenceRowNorm(
      a.x.f32(), add, a.y.f32(), a.R, a.L, (flags & FLAGS.centered) !== 0, a.eps, param(b, "weight", flags, FLAGS.weight),
      param(b, "bias", flags, FLAGS.bias), b.stat("mean"), b.stat("invstd"),
    );
  },
  rowNormBackward(a) {
    const { block: b, flags } = a;
    referenceRowNormBackward(
      a.dy.f32(), a.x.f32(), a.dsum && a.dsum.f32(), a.dx && a.dx.f32(), a.R, a.L, (flags & FLAGS.centered) !== 0,
      param(b, "weight", flags, FLAGS.weight), param(b, "dweight", flags, FLAGS.dweight), param(b, "dbias", flags, FLAGS.dbias),
      param(b, "daddBias", flags, FLAGS.daddBias), b.stat("mean"), b.stat("invstd"),
    );
  },
};

/** A backend that runs the pure-JS reference (float64 accumulation). */
export function createReferenceBackend(): Backend {
  const live = new Set<Region>();
  /** The buffers of the live regions: a Float32Array on one of them is a view of this backend's memory. */
  const buffers = new WeakSet<ArrayBufferLike>();
  let liveBytes = 0, highWater = 0;
  const release = (region: Region) => {
    if (live.delete(region)) liveBytes -= region.byteLength;
    buffers.delete((region as HeapRegion).buffer);
  };
  const backend: KernelBackend = {
    kind: "reference",
    alloc(bytes: number): Region {
      const region = new HeapRegion(bytes, release);
      live.add(region);
      buffers.add(region.buffer);
      liveBytes += bytes;
      highWater = Math.max(highWater, liveBytes);
      return region;
    },
    memoryStats: (): MemoryStats => ({
      liveBytes, highWaterBytes: highWater, memoryBytes: liveBytes, maxBytes: Number.MAX_SAFE_INTEGER, liveBlocks: live.size,
    }),
    // The reference's memory never grows, so the caller's view itself serves.
    viewRegion: (view) => (buffers.has(view.buffer) && view.length > 0 ? {
      ptr: 0, byteLength: view.byteLength, f32: () => view, f64: () => new Float64Array(view.buffer, view.byteOffset, view.byteLength >>> 3), free() {},
    } : null),
    ...referenceKernels,
  };
  return backend;
}
