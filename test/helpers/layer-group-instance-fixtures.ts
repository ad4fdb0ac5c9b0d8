// Typed access to the PyTorch fixtures of layer, group and instance norm
// (test/fixtures/layer-group-instance.jsonl, written by
// test/fixtures/make_layer_group_instance_fixtures.py).
import text from "../fixtures/layer-group-instance.jsonl?raw";
import { parseFixtureLines } from "./jsonl.js";
import type { NormStateDict } from "../../src/index.js";

export interface LayerGroupInstanceStep {
  mode: "train" | "eval";
  shape: number[];
  x: number[];
  y: number[];
  dy: number[];
  dx: number[];
  dweight?: number[];
  dbias?: number[];
  running_mean?: number[];
  running_var?: number[];
  num_batches_tracked?: number;
}

interface CaseBase {
  name: string;
  init: Record<string, number[] | number>;
  steps: LayerGroupInstanceStep[];
  torchFloat32?: { maxAbsErrY: number };
}

export interface LayerNormCase extends CaseBase {
  module: "LayerNorm";
  args: { normalizedShape: number[] };
  options: { eps: number; elementwiseAffine: boolean; bias: boolean };
}

export interface GroupNormCase extends CaseBase {
  module: "GroupNorm";
  args: { numGroups: number; numChannels: number };
  options: { eps: number; affine: boolean; layout?: "NHWC" };
}

export interface InstanceNormCase extends CaseBase {
  module: "InstanceNorm1d" | "InstanceNorm2d" | "InstanceNorm3d";
  args: { numFeatures: number };
  options: { eps: number; momentum: number; affine: boolean; trackRunningStats: boolean; layout?: "NHWC" };
}

export type LayerGroupInstanceCase = LayerNormCase | GroupNormCase | InstanceNormCase;

const data = parseFixtureLines<LayerGroupInstanceCase>(text, "test/fixtures/layer-group-instance.jsonl");
export const layerGroupInstanceCases = data.cases;
export const layerGroupInstanceTorchVersion = data.header.torch as string;

/** The case's initial state as a state dict of Float32Arrays. */
export function layerGroupInstanceInitialState(c: LayerGroupInstanceCase): NormStateDict {
  const sd: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(c.init)) sd[key] = typeof value === "number" ? value : Float32Array.from(value);
  return sd as NormStateDict;
}

/** The op family a case belongs to, for reporting worst errors per op. */
export function opOf(c: LayerGroupInstanceCase): "LayerNorm" | "GroupNorm" | "InstanceNorm" {
  return c.module.startsWith("InstanceNorm") ? "InstanceNorm" : c.module as "LayerNorm" | "GroupNorm";
}
