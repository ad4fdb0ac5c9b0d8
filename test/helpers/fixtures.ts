// Typed access to the PyTorch fixtures (test/fixtures/batchnorm.jsonl, written by
// test/fixtures/make_batchnorm_fixtures.py).
import text from "../fixtures/batchnorm.jsonl?raw";
import { parseFixtureLines } from "./jsonl.js";
import type { BatchNormStateDict, Layout } from "../../src/index.js";

export interface FixtureStep {
  mode: "train" | "eval";
  shape: number[];
  x: number[];
  y: number[];
  dy?: number[];
  dx?: number[];
  dweight?: number[];
  dbias?: number[];
  running_mean?: number[];
  running_var?: number[];
  num_batches_tracked?: number;
}

export interface FixtureCase {
  name: string;
  module: "BatchNorm1d" | "BatchNorm2d" | "BatchNorm3d";
  numFeatures: number;
  options: {
    eps: number; momentum: number | null; affine: boolean; trackRunningStats: boolean; layout: Layout;
    /** "relu": the fused batchNormRelu (PyTorch: F.relu after the module). */
    activation?: "relu";
  };
  init: Record<string, number[] | number>;
  steps: FixtureStep[];
  torchFloat32?: { maxAbsErrY: number };
}

const data = parseFixtureLines<FixtureCase>(text, "test/fixtures/batchnorm.jsonl");
export const fixtureCases = data.cases;
export const torchVersion = data.header.torch as string;

/** The case's initial state as a state dict of Float32Arrays. */
export function initialState(c: FixtureCase): BatchNormStateDict {
  const sd: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(c.init)) sd[key] = typeof value === "number" ? value : Float32Array.from(value);
  return sd as BatchNormStateDict;
}
