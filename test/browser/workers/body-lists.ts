// The lists of shared bodies (test/bodies/) a module worker runs, by name: the same lists
// the Node and Chromium main-thread suites run.
import type { BackendCase } from "../../helpers/backends.js";
import { batchNormSuites } from "../../bodies/batchnorm-suites.js";
import { layerGroupInstanceSuites } from "../../bodies/layer-group-instance-suites.js";
import { rowNormSuites } from "../../bodies/rownorm-suites.js";
import { onnxSuites } from "../../bodies/onnx-suites.js";
import { splitSuite } from "../../bodies/split.js";

export const BODY_LISTS = {
  batchnorm: batchNormSuites,
  "layer-group-instance": layerGroupInstanceSuites,
  rownorm: rowNormSuites,
  onnx: onnxSuites,
  split: (b: BackendCase) => splitSuite(b.make),
} satisfies Record<string, (b: BackendCase) => void>;

export type BodyList = keyof typeof BODY_LISTS;
