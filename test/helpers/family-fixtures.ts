// Typed access to the PyTorch fixtures of the normalization family (test/fixtures/family.jsonl,
// written by test/fixtures/make_family_fixtures.py).
import text from "../fixtures/family.jsonl?raw";
import { parseFixtureLines } from "./jsonl.js";
import type { NormStateDict } from "../../src/index.js";

export interface FamilyStep {
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
  steps: FamilyStep[];
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
  options: { eps: number; affine: boolean };
}

export interface InstanceNormCase extends CaseBase {
  module: "InstanceNorm1d" | "InstanceNorm2d" | "InstanceNorm3d";
  args: { numFeatures: number };
  options: { eps: number; momentum: number; affine: boolean; trackRunningStats: boolean };
}

export type FamilyCase = LayerNormCase | GroupNormCase | InstanceNormCase;

const data = parseFixtureLines<FamilyCase>(text, "test/fixtures/family.jsonl");
export const familyCases = data.cases;
export const familyTorchVersion = data.header.torch as string;

/** The case's initial state as a state dict of Float32Arrays. */
export function familyInitialState(c: FamilyCase): NormStateDict {
  const sd: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(c.init)) sd[key] = typeof value === "number" ? value : Float32Array.from(value);
  return sd as NormStateDict;
}

/** The op family a case belongs to, for reporting worst errors per op. */
export function opOf(c: FamilyCase): "LayerNorm" | "GroupNorm" | "InstanceNorm" {
  return c.module.startsWith("InstanceNorm") ? "InstanceNorm" : c.module as "LayerNorm" | "GroupNorm";
}
