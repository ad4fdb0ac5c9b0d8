// One model.fit epoch of the digit CNN (issue 16): TF.js's tf.layers.batchNormalization
// against createTfjsLayers', on both TF.js backends. The op is "train" (an epoch of training
// steps); the floor copies the digits' bytes, as every workload has one.
import { rowId, type Case, type Pace, type Prepared, type Workload } from "../case.js";
import { inputsFor } from "../data.js";
import { prepareCopyFloor } from "../runners/copy-floor.js";
import { LAYER_ROWS, prepareCnnEpoch } from "../runners/tfjs-layers.js";
import { workload } from "../workloads.js";
import type { Family } from "./family.js";

const FAMILY = "CNN epoch";

function make(w: Workload, op: "train" | "copy", impl: string, pace: Pace, prepare: () => Prepared | Promise<Prepared>): Case {
  return { id: rowId(FAMILY, w, op, impl), family: FAMILY, workload: w, op, impl, pace, prepare };
}

export const cnnEpochFamily: Family = {
  name: FAMILY,
  torchName: null,
  ops: ["train"],
  workloads: [workload([512, 28, 28, 1], "NHWC")],
  testWorkloads: [workload([32, 28, 28, 1], "NHWC")],
  reference: "tfjs-cpu-layer",
  cases: (w) => [
    make(w, "copy", "copy", "fast", () => prepareCopyFloor(w, inputsFor(w))),
    ...LAYER_ROWS.map((r) => make(w, "train", r.key, "slow", () => prepareCnnEpoch(r.backend, r.impl, w))),
  ],
};
