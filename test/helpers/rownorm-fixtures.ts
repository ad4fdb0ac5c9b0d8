// Typed access to the RMS-norm and residual add + norm fixtures (test/fixtures/rownorm.jsonl,
// written by test/fixtures/make_rownorm_fixtures.py: float64 NumPy forward, PyTorch autograd).
import text from "../fixtures/rownorm.jsonl?raw";
import { parseFixtureLines } from "./jsonl.js";

export interface RowNormStep {
  shape: number[];
  x: number[];
  residual?: number[];
  dy: number[];
  dsum?: number[];
  y: number[];
  sum?: number[];
  mean?: number[];
  invstd: number[];
  dx: number[];
  dweight?: number[];
  dbias?: number[];
  daddBias?: number[];
}

export interface RowNormCase {
  name: string;
  /** RMSNorm: the module and rmsNorm; the others: the functional ops of that name. */
  op: "RMSNorm" | "addLayerNorm" | "addRmsNorm";
  normalizedShape: number[];
  /** null: the op's default (1e-5 for layer norm, 2 ** -23 for RMS norm). */
  eps: number | null;
  init: { weight?: number[]; bias?: number[]; addBias?: number[] };
  steps: RowNormStep[];
}

const data = parseFixtureLines<RowNormCase>(text, "test/fixtures/rownorm.jsonl");
export const rowNormCases = data.cases;
