// The ops runOnnxNode knows, one table: each op's versions with their inputs, attributes,
// outputs and implementation, and the opset resolution (the newest version <= the model's opset).

import { fail } from "../runtime/checks.js";
import type { AttributeSpec, OpCall } from "./checks.js";
import type { OnnxOpSupport, OnnxTensor } from "./types.js";
import { BATCH_NORMALIZATION, GROUP_NORMALIZATION, INSTANCE_NORMALIZATION } from "./channel-ops.js";
import { LP_NORMALIZATION } from "./lpnorm.js";
import { MEAN_VARIANCE_NORMALIZATION } from "./mvn.js";
import {
  LAYER_NORMALIZATION, RMS_NORMALIZATION, SKIP_LAYER_NORMALIZATION, SKIP_SIMPLIFIED_LAYER_NORMALIZATION,
} from "./row-ops.js";

/** One version of an op: input names in ONNX order ("?" = optional), attributes, output names, and the mapping. @internal */
export interface OpVersion {
  readonly inputs: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeSpec>>;
  readonly outputs: readonly string[];
  readonly run: (call: OpCall) => (OnnxTensor | null)[];
}

/** @internal */
export interface OpFamily {
  readonly domain: string;
  readonly opType: string;
  /** Keyed by the version that introduced it (since_version). */
  readonly versions: Readonly<Record<number, OpVersion>>;
}

const FAMILIES: readonly OpFamily[] = [
  BATCH_NORMALIZATION, INSTANCE_NORMALIZATION, LAYER_NORMALIZATION, GROUP_NORMALIZATION, RMS_NORMALIZATION,
  MEAN_VARIANCE_NORMALIZATION, LP_NORMALIZATION, SKIP_LAYER_NORMALIZATION, SKIP_SIMPLIFIED_LAYER_NORMALIZATION,
];

/** "" and "ai.onnx" are the same domain. */
const domainKey = (domain: string) => (domain === "ai.onnx" ? "" : domain);
const label = (domain: string, opType: string) => (domain ? `${domain}.${opType}` : opType);

/** The op version a node runs: the newest one <= opset; an Error naming what is unsupported otherwise. @internal */
export function resolve(where: string, domain: string, opType: string, opset: number): { family: OpFamily; version: number; spec: OpVersion } {
  const family = FAMILIES.find((f) => f.domain === domainKey(domain) && f.opType === opType);
  if (!family) {
    fail(where, `unsupported op ${label(domain, opType)} (supported: ${FAMILIES.map((f) => label(f.domain, f.opType)).join(", ")})`);
  }
  const versions = Object.keys(family.versions).map(Number).sort((a, b) => a - b);
  const version = versions.filter((v) => v <= opset).pop();
  if (version === undefined) {
    fail(where, `${label(domain, opType)} at opset ${opset} is not supported: its first supported version is ${versions[0]} (supported: ${versions.join(", ")})`);
  }
  return { family, version, spec: family.versions[version] };
}

/** Every op and version runOnnxNode implements. */
export function supportedOnnxOps(): OnnxOpSupport[] {
  return FAMILIES.map((f) => ({ domain: f.domain, opType: f.opType, versions: Object.keys(f.versions).map(Number).sort((a, b) => a - b) }));
}
