// Typed access to the ONNX node cases (test/fixtures/onnx.jsonl, written by
// test/fixtures/onnx_cases.py: ONNX 1.12's own node test cases, and float64 NumPy from the spec
// text for the ops and shapes those leave out).
import text from "../fixtures/onnx.jsonl?raw";
import { parseFixtureLines } from "./jsonl.js";

export interface OnnxFixtureTensor {
  shape: number[];
  data: number[];
}

export interface OnnxCase {
  name: string;
  /** "onnx": onnx.backend.test.case.node; "numpy": float64 from the spec text. */
  source: "onnx" | "numpy";
  node: { opType: string; domain?: string; opset: number; attributes: Record<string, number | number[]> };
  inputs: (OnnxFixtureTensor | null)[];
  /** The outputs the case checks, in ONNX order; null: the op does not produce it. Trailing ones may be absent. */
  outputs: (OnnxFixtureTensor | null)[];
}

const data = parseFixtureLines<OnnxCase>(text, "test/fixtures/onnx.jsonl");
export const onnxCases = data.cases;
export const onnxFixtureHeader = data.header;
