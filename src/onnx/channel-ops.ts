// ONNX's per-channel and per-group norms of (N, C, D1, ...) input, on the functional ops:
// BatchNormalization (batchNorm with the "onnx" running-statistics convention),
// InstanceNormalization and GroupNormalization (groupNorm, one group per channel for instance norm).

import { batchNorm } from "../functional/batchnorm.js";
import { groupNorm } from "../functional/norms.js";
import { broadcastTo, checkStashType, float, int, output, type OpCall } from "./checks.js";
import type { OpFamily, OpVersion } from "./registry.js";
import type { OnnxTensor } from "./types.js";

const PER_CHANNEL = "one value per channel";

/** x's shape with at least 2 dims: rank 1 is (N) with C = 1, as BatchNormalization allows. */
function channelsShape(call: OpCall, x: OnnxTensor, rank1: boolean): number[] {
  if (x.shape.length === 1 && rank1) return [x.shape[0], 1];
  if (x.shape.length < 2) call.fail(`input 0 must have shape (N, C, D1, ...), got ${JSON.stringify(x.shape)}`);
  return x.shape;
}

/** BatchNormalization: inference with the given statistics, or (training_mode 1, opset 14+) the batch's. */
function batchNormalization(call: OpCall, hasTrainingMode: boolean, outputs: number): (OnnxTensor | null)[] {
  const x = call.input(0);
  const shape = channelsShape(call, x, true);
  const C = shape[1];
  const [weight, bias, mean, variance] = [1, 2, 3, 4].map((i) => call.vector(i, C, PER_CHANNEL)!);
  const training = hasTrainingMode && call.choice("training_mode", [0, 1], "0: inference, 1: training") === 1;
  const common = { weight, bias, eps: call.number("epsilon"), backend: call.backend, convention: "onnx" as const };
  const rest = new Array<null>(outputs - 1).fill(null);
  if (!training) {
    const { y } = batchNorm(x.data, shape, { ...common, runningMean: mean, runningVar: variance, training: false });
    return [output(y, x.shape), ...rest];
  }
  // The running statistics are outputs: updated on copies, the inputs stay as given.
  const runningMean = mean.slice(), runningVar = variance.slice();
  const { y } = batchNorm(x.data, shape, { ...common, runningMean, runningVar, training: true, momentum: call.number("momentum") });
  return [output(y, x.shape), output(runningMean, [C]), output(runningVar, [C])];
}

const BN_INPUTS = ["X", "scale", "B", "input_mean", "input_var"];
const bn14: OpVersion = {
  inputs: BN_INPUTS,
  attributes: { epsilon: float(1e-5), momentum: float(0.9), training_mode: int(0) },
  outputs: ["Y", "running_mean", "running_var"],
  run: (call) => batchNormalization(call, true, 3),
};

export const BATCH_NORMALIZATION: OpFamily = {
  domain: "", opType: "BatchNormalization",
  versions: {
    // Version 9's optional training outputs (mean, var, saved_mean, saved_var) are not produced.
    9: {
      inputs: BN_INPUTS, attributes: { epsilon: float(1e-5), momentum: float(0.9) },
      outputs: ["Y", "mean", "var", "saved_mean", "saved_var"], run: (call) => batchNormalization(call, false, 5),
    },
    14: bn14,
    15: bn14, // 15 widened the parameters' types only
  },
};

/**
 * group norm of x in G groups with one scale / bias value per channel; perGroup: the node
 * gives one per group (GroupNormalization 18), repeated over the group's C / G channels.
 */
function groups(call: OpCall, G: number, perGroup: boolean): OnnxTensor[] {
  const x = call.input(0);
  const shape = channelsShape(call, x, false);
  const C = shape[1];
  if (C % G !== 0) call.fail(`num_groups (${G}) must divide the number of channels C = ${C} of input 0, shape ${JSON.stringify(shape)}`);
  const [weight, bias] = [1, 2].map((i) => {
    const v = call.vector(i, perGroup ? G : C, perGroup ? "one value per group" : PER_CHANNEL)!;
    return perGroup ? broadcastTo(v, [G, 1], [G, C / G])! : v;
  });
  const { y } = groupNorm(x.data, shape, G, { weight, bias, eps: call.number("epsilon"), backend: call.backend });
  return [output(y, x.shape)];
}

const instance: OpVersion = {
  inputs: ["input", "scale", "B"], attributes: { epsilon: float(1e-5) }, outputs: ["output"],
  run: (call) => groups(call, channelsShape(call, call.input(0), false)[1], false),
};

export const INSTANCE_NORMALIZATION: OpFamily = {
  domain: "", opType: "InstanceNormalization",
  versions: { 6: instance, 22: instance }, // 22 widened the types only
};

const numGroups = (call: OpCall) => {
  const G = call.number("num_groups");
  if (G < 1) call.fail(`attribute "num_groups" must be a positive integer, got ${G}`);
  return G;
};

export const GROUP_NORMALIZATION: OpFamily = {
  domain: "", opType: "GroupNormalization",
  versions: {
    18: {
      inputs: ["X", "scale", "bias"], attributes: { epsilon: float(1e-5), num_groups: int() }, outputs: ["Y"],
      run: (call) => groups(call, numGroups(call), true),
    },
    21: {
      inputs: ["X", "scale", "bias"], attributes: { epsilon: float(1e-5), num_groups: int(), stash_type: int(1) }, outputs: ["Y"],
      run: (call) => {
        checkStashType(call);
        return groups(call, numGroups(call), false);
      },
    },
  },
};
