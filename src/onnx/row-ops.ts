// ONNX's norms over the trailing dims from `axis` (LayerNormalization, RMSNormalization) and
// ONNX Runtime's residual add + norm over the last dim (com.microsoft SkipLayerNormalization,
// SkipSimplifiedLayerNormalization), on layerNorm / rmsNorm / addLayerNorm / addRmsNorm.

import { addLayerNorm, addRmsNorm, rmsNorm } from "../functional/rownorm.js";
import { layerNorm } from "../functional/norms.js";
import { broadcastTo, checkStashType, float, int, output, type OpCall } from "./checks.js";
import type { OpFamily } from "./registry.js";
import type { OnnxTensor } from "./types.js";

/** The normalized dims of input 0: [axis, rank); and the statistics' shape, those dims set to 1. */
function normalized(call: OpCall): { x: OnnxTensor; dims: number[]; statShape: number[] } {
  const x = call.input(0);
  const a = call.axis(call.number("axis"), x.shape.length, 'attribute "axis"');
  return { x, dims: x.shape.slice(a), statShape: x.shape.map((d, i) => (i < a ? d : 1)) };
}

const ROW_ATTRIBUTES = { axis: int(-1), epsilon: float(1e-5), stash_type: int(1) };

export const LAYER_NORMALIZATION: OpFamily = {
  domain: "", opType: "LayerNormalization",
  versions: {
    17: {
      inputs: ["X", "Scale", "B?"], attributes: ROW_ATTRIBUTES, outputs: ["Y", "Mean", "InvStdDev"],
      run: (call) => {
        checkStashType(call);
        const { x, dims, statShape } = normalized(call);
        const { y, saveMean, saveInvstd } = layerNorm(x.data, x.shape, dims, {
          weight: call.param(1, dims), bias: call.param(2, dims), eps: call.number("epsilon"), backend: call.backend,
        });
        return [output(y, x.shape), output(saveMean, statShape), output(saveInvstd, statShape)];
      },
    },
  },
};

export const RMS_NORMALIZATION: OpFamily = {
  domain: "", opType: "RMSNormalization",
  versions: {
    23: {
      inputs: ["X", "scale"], attributes: ROW_ATTRIBUTES, outputs: ["Y"],
      run: (call) => {
        checkStashType(call);
        const { x, dims } = normalized(call);
        const { y } = rmsNorm(x.data, x.shape, dims, { weight: call.param(1, dims), eps: call.number("epsilon"), backend: call.backend });
        return [output(y, x.shape)];
      },
    },
  },
};

/** ONNX Runtime's contrib-op schema default (kDefaultSkipLayerNormEpsilon). */
const SKIP_EPSILON = 1e-12;

/**
 * s = input + skip (+ bias), then layer norm (centered) or RMS norm of s over the last dim.
 * As ONNX Runtime: input (batch, seq, hidden) or (tokens, hidden); skip of input's shape, or
 * for 3-D input (1, seq, hidden) or (seq, hidden), repeated over the batch.
 */
function skipNorm(call: OpCall, centered: boolean): (OnnxTensor | null)[] {
  const x = call.input(0), skip = call.input(1);
  const rank = x.shape.length;
  if (rank !== 2 && rank !== 3) call.fail(`input 0 (input) must have shape (batch, seq, hidden) or (tokens, hidden), got ${JSON.stringify(x.shape)}`);
  const H = x.shape[rank - 1];
  const same = skip.shape.length === rank && skip.shape.every((d, i) => d === x.shape[i]);
  const perSequence = rank === 3 && (skip.shape.length === 2 || (skip.shape.length === 3 && skip.shape[0] === 1)) &&
    skip.shape.slice(-2).every((d, i) => d === x.shape[i + 1]);
  if (!same && !perSequence) {
    call.fail(`input 1 (skip) must have input's shape ${JSON.stringify(x.shape)}${rank === 3 ? ", or (1, seq, hidden) or (seq, hidden)" : ""}, got ${JSON.stringify(skip.shape)}`);
  }
  const residual = same ? skip.data : broadcastTo(skip.data, skip.shape, x.shape)!;
  const weight = call.vector(2, H, "one value per hidden element")!;
  const addBias = call.vector(centered ? 4 : 3, H, "one value per hidden element");
  const eps = call.number("epsilon");
  const statShape = [...x.shape.slice(0, -1), 1];
  if (centered) {
    const bias = call.vector(3, H, "one value per hidden element");
    const r = addLayerNorm(x.data, residual, x.shape, [H], { weight, bias, addBias, eps, backend: call.backend });
    return [output(r.y, x.shape), output(r.saveMean, statShape), output(r.saveInvstd, statShape), output(r.sum, x.shape)];
  }
  const r = addRmsNorm(x.data, residual, x.shape, [H], { weight, addBias, eps, backend: call.backend });
  // An RMS norm has no mean: the simplified op leaves that output unproduced.
  return [output(r.y, x.shape), null, output(r.saveInvRms, statShape), output(r.sum, x.shape)];
}

const SKIP_OUTPUTS = ["output", "mean", "inv_std_var", "input_skip_bias_sum"];

export const SKIP_LAYER_NORMALIZATION: OpFamily = {
  domain: "com.microsoft", opType: "SkipLayerNormalization",
  versions: {
    1: {
      inputs: ["input", "skip", "gamma", "beta?", "bias?"], attributes: { epsilon: float(SKIP_EPSILON) }, outputs: SKIP_OUTPUTS,
      run: (call) => skipNorm(call, true),
    },
  },
};

export const SKIP_SIMPLIFIED_LAYER_NORMALIZATION: OpFamily = {
  domain: "com.microsoft", opType: "SkipSimplifiedLayerNormalization",
  versions: {
    1: {
      inputs: ["input", "skip", "gamma", "bias?"], attributes: { epsilon: float(SKIP_EPSILON) }, outputs: SKIP_OUTPUTS,
      run: (call) => skipNorm(call, false),
    },
  },
};
