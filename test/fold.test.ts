// foldBatchNorm: a reference linear / convolution followed by the batch norm in eval mode
// against the folded layer alone.
import { describe, it, expect } from "vitest";
import { BatchNorm1d, BatchNorm2d, createBackend, foldBatchNorm, type BatchNormBase } from "../src/index.js";
import { expectClose } from "./helpers/compare.js";
import { gaussian, seededRandom } from "./helpers/random.js";

const TOL = 1e-5;

function randomArray(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n }, () => gaussian(rand) * scale + offset);
}

/** y = x W^T + b in float64 (then float32): W (out, in) for "OI", (in, out) for "IO". */
function linear(x: Float32Array, N: number, I: number, O: number, w: ArrayLike<number>, b: ArrayLike<number> | null, layout: "OI" | "IO") {
  const y = new Float32Array(N * O);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < I; i++) s += x[n * I + i] * w[layout === "OI" ? o * I + i : i * O + o];
      y[n * O + o] = s;
    }
  }
  return y;
}

/**
 * A 3x3 convolution with padding 1 in float64: x and y NCHW with OIHW weights, or NHWC with
 * HWIO weights.
 */
function conv3x3(
  x: Float32Array, N: number, I: number, H: number, W: number, O: number, w: ArrayLike<number>, b: ArrayLike<number> | null,
  layout: "OIHW" | "HWIO",
) {
  const nchw = layout === "OIHW";
  const xAt = (n: number, c: number, h: number, v: number) => (nchw ? ((n * I + c) * H + h) * W + v : ((n * H + h) * W + v) * I + c);
  const yAt = (n: number, c: number, h: number, v: number) => (nchw ? ((n * O + c) * H + h) * W + v : ((n * H + h) * W + v) * O + c);
  const wAt = (o: number, i: number, kh: number, kw: number) => (nchw ? ((o * I + i) * 3 + kh) * 3 + kw : ((kh * 3 + kw) * I + i) * O + o);
  const y = new Float32Array(N * O * H * W);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let h = 0; h < H; h++) {
        for (let v = 0; v < W; v++) {
          let s = b ? b[o] : 0;
          for (let i = 0; i < I; i++) {
            for (let kh = 0; kh < 3; kh++) {
              for (let kw = 0; kw < 3; kw++) {
                const hh = h + kh - 1, vv = v + kw - 1;
                if (hh >= 0 && hh < H && vv >= 0 && vv < W) s += x[xAt(n, i, hh, vv)] * w[wAt(o, i, kh, kw)];
              }
            }
          }
          y[yAt(n, o, h, v)] = s;
        }
      }
    }
  }
  return y;
}

/** A batch norm with running statistics and parameters far from their initial values, in eval mode. */
function trainedBn<T extends BatchNormBase>(bn: T, seed: number): T {
  const C = bn.numFeatures;
  bn.runningMean!.set(randomArray(C, seed, 0.7, 0.3));
  bn.runningVar!.set(randomArray(C, seed + 1, 0.3, 1.5).map(Math.abs));
  bn.weight?.set(randomArray(C, seed + 2, 0.5, 1));
  bn.bias?.set(randomArray(C, seed + 3));
  return bn.eval();
}

describe("foldBatchNorm", () => {
  const backend = createBackend();

  describe.each([
    ["affine, with bias", true, true],
    ["affine: false", false, true],
    ["no bias in the linear layer", true, false],
  ] as const)("linear, %s", (_label, affine, withBias) => {
    it.each(["OI", "IO"] as const)("layout %s", (layout) => {
      const N = 9, I = 13, O = 6;
      const x = randomArray(N * I, 1), w = randomArray(O * I, 2, 0.4), b = withBias ? randomArray(O, 3) : null;
      const bn = trainedBn(new BatchNorm1d(O, { affine, backend }), 10);
      const expected = bn.forward(linear(x, N, I, O, w, b, layout), [N, O]);
      const folded = foldBatchNorm(bn, { weight: w, bias: b, kind: "linear", layout });
      expect(folded.weight.length).toBe(O * I);
      expectClose(linear(x, N, I, O, folded.weight, folded.bias, layout), expected, TOL, `folded linear ${layout}`);
    });
  });

  describe.each([
    ["affine, with bias", true, true],
    ["affine: false, no bias", false, false],
  ] as const)("conv, %s", (_label, affine, withBias) => {
    it.each(["OIHW", "HWIO"] as const)("layout %s", (layout) => {
      const N = 2, I = 3, H = 5, W = 4, O = 4;
      const x = randomArray(N * I * H * W, 4), w = randomArray(O * I * 9, 5, 0.3), b = withBias ? randomArray(O, 6) : null;
      const bn = trainedBn(new BatchNorm2d(O, { affine, backend, layout: layout === "OIHW" ? "NCHW" : "NHWC" }), 20);
      const shape = layout === "OIHW" ? [N, O, H, W] : [N, H, W, O];
      const expected = bn.forward(conv3x3(x, N, I, H, W, O, w, b, layout), shape);
      const folded = foldBatchNorm(bn, { weight: w, bias: b, kind: "conv", layout });
      expectClose(conv3x3(x, N, I, H, W, O, folded.weight, folded.bias, layout), expected, TOL, `folded conv ${layout}`);
    });
  });

  it("takes plain arrays for the batch norm too", () => {
    const bn = { runningMean: [0.5, -1], runningVar: [4, 0.25], weight: [2, 3], bias: [1, 0], eps: 0 };
    const { weight, bias } = foldBatchNorm(bn, { weight: [1, 2, 3, 4], bias: [0.5, 1], kind: "linear" });
    // scale = [2 / 2, 3 / 0.5] = [1, 6]; bias = (b - mean) * scale + beta = [0 + 1, 12 + 0].
    expect(Array.from(weight)).toEqual([1, 2, 18, 24]);
    expect(Array.from(bias)).toEqual([1, 12]);
  });

  it("bad input: a clear Error naming the argument", () => {
    const bn = new BatchNorm1d(3, { backend });
    const w = new Float32Array(12);
    expect(() => foldBatchNorm(bn, { weight: w, kind: "dense" as never })).toThrow(/foldBatchNorm: kind must be "linear" or "conv"/);
    expect(() => foldBatchNorm(bn, { weight: w, kind: "conv", layout: "OI" })).toThrow(/layout for kind "conv" must be "OIHW" or "HWIO", got "OI"/);
    expect(() => foldBatchNorm(bn, { weight: new Float32Array(10), kind: "linear" })).toThrow(/weight has length 10, not a multiple of bn's 3 channels/);
    expect(() => foldBatchNorm(bn, { weight: w, bias: [1, 2], kind: "linear" })).toThrow(/bias must have length 3/);
    expect(() => foldBatchNorm(bn, { weight: w, kind: "linear", stride: 1 } as never)).toThrow(/unknown option "stride"/);
    const untracked = new BatchNorm1d(3, { backend, trackRunningStats: false });
    expect(() => foldBatchNorm(untracked, { weight: w, kind: "linear" })).toThrow(/bn has no running statistics/);
    bn.dispose();
    expect(() => foldBatchNorm(bn, { weight: w, kind: "linear" })).toThrow(/foldBatchNorm: the BatchNorm module was disposed/);
  });
});
