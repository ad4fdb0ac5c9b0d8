// runOnnxNode: one ONNX node on this package's kernels. The node is checked (op, opset,
// attributes, inputs), its version resolved, and its mapping onto the functional ops run.

import { checkOptionKeys, describe, fail } from "../runtime/checks.js";
import { backendOption } from "../runtime/default-backend.js";
import { OpCall, checkAttributes, checkInputs } from "./checks.js";
import { resolve } from "./registry.js";
import type { OnnxNode, OnnxTensor, RunOnnxNodeOptions } from "./types.js";

const WHERE = "runOnnxNode";

/**
 * Runs one ONNX normalization node: `inputs` in ONNX order (null for an omitted optional
 * input); returns its outputs in ONNX order, null where the op leaves an optional output
 * unproduced. Semantics are the ONNX operator spec of the version the node's opset selects.
 */
export function runOnnxNode(node: OnnxNode, inputs: readonly (OnnxTensor | null)[], options: RunOnnxNodeOptions = {}): (OnnxTensor | null)[] {
  if (typeof node !== "object" || node === null) fail(WHERE, `node must be { opType, domain?, opset, attributes? }, got ${describe(node)}`);
  const { opType, domain = "", opset } = node;
  if (typeof opType !== "string") fail(WHERE, `node.opType must be a string, got ${describe(opType)}`);
  if (typeof domain !== "string") fail(WHERE, `node.domain must be a string, got ${describe(domain)}`);
  if (typeof opset !== "number" || !Number.isInteger(opset) || opset < 1) {
    fail(WHERE, `node.opset must be a positive integer (the model's opset for the node's domain), got ${describe(opset)}`);
  }
  const { family, version, spec } = resolve(WHERE, domain, opType, opset);
  const where = `${WHERE} (${family.domain ? `${family.domain}.` : ""}${opType} ${version})`;
  checkOptionKeys(where, options, ["backend"]);
  const backend = backendOption(where, options.backend);
  const attributes = checkAttributes(where, spec.attributes, node.attributes);
  const checked = checkInputs(where, spec.inputs, inputs);
  try {
    return spec.run(new OpCall(where, backend, spec.inputs, checked, attributes));
  } catch (error) {
    // A functional op's refusal ("layerNorm: ...") names the node it ran for; other errors
    // (a RangeError when memory runs out) pass as they are.
    if (error instanceof Error && error.constructor === Error && !error.message.startsWith(where)) {
      throw new Error(`${where}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
