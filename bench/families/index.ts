// The registry of op families the bench runs. A new family is one file exporting a Family,
// added here.
import { batchNormFamily } from "./batchnorm.js";
import { cnnEpochFamily } from "./cnn-epoch.js";
import type { Family } from "./family.js";
import { groupNormFamily, instanceNormFamily, layerNormFamily } from "./norms.js";
import { addLayerNormFamily, addRmsNormFamily, rmsNormFamily } from "./rownorm.js";

export const FAMILIES: readonly Family[] = [
  batchNormFamily, layerNormFamily, groupNormFamily, instanceNormFamily, rmsNormFamily, addLayerNormFamily, addRmsNormFamily,
  cnnEpochFamily,
];
