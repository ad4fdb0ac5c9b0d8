// The shapes runOnnxNode speaks: an ONNX node (NodeProto's op type, domain, attributes, and the
// model's opset for that domain) and ONNX tensors as plain data.

import type { Backend } from "../runtime/backend.js";

/** A tensor as ONNX holds it: float32 data, row-major, and its shape ([] for a scalar). */
export interface OnnxTensor {
  data: Float32Array;
  shape: number[];
}

/** An attribute value: FLOAT and INT attributes are numbers, INTS / FLOATS arrays of them. */
export type OnnxAttributeValue = number | number[];

export interface OnnxNode {
  /** NodeProto.op_type: "LayerNormalization", "SkipLayerNormalization", ... */
  opType: string;
  /** NodeProto.domain: "" (or "ai.onnx") for ONNX's ops, "com.microsoft" for ONNX Runtime's contrib ops. Default "". */
  domain?: string;
  /** The model's opset for that domain (ModelProto.opset_import); the op's newest version <= opset runs. */
  opset: number;
  /** NodeProto.attribute by name; an absent attribute takes the op's default. */
  attributes?: Record<string, OnnxAttributeValue>;
}

export interface RunOnnxNodeOptions {
  /** The kernels to run on (createBackend() / createReferenceBackend()); default: the default backend. */
  backend?: Backend;
}

/** One op runOnnxNode knows, with the versions it implements. */
export interface OnnxOpSupport {
  domain: string;
  opType: string;
  versions: number[];
}
