// The checks of an ONNX node's attributes and inputs, and the one broadcast its parameters
// need. Every refusal reads "runOnnxNode (<op> <version>): <what was wrong and what was
// expected>", through runtime/checks.ts's fail, before any kernel runs.

import type { KernelBackend } from "../runtime/backend.js";
import { checkShape, describe, fail } from "../runtime/checks.js";
import type { OnnxAttributeValue, OnnxTensor } from "./types.js";

export type AttributeKind = "float" | "int" | "ints";

/** An attribute of an op version: its kind and default (absent: the attribute is required). */
export interface AttributeSpec {
  readonly kind: AttributeKind;
  readonly default?: OnnxAttributeValue;
}

export const float = (value: number): AttributeSpec => ({ kind: "float", default: value });
export const int = (value?: number): AttributeSpec => ({ kind: "int", default: value });
export const ints = (value: number[]): AttributeSpec => ({ kind: "ints", default: value });

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** The node's attributes against the version's: unknown names refused, kinds checked, defaults filled. */
export function checkAttributes(
  where: string, specs: Readonly<Record<string, AttributeSpec>>, given: unknown,
): Map<string, OnnxAttributeValue> {
  if (given === undefined) given = {};
  if (typeof given !== "object" || given === null || Array.isArray(given)) fail(where, `node.attributes must be an object, got ${describe(given)}`);
  const names = Object.keys(specs);
  for (const key of Object.keys(given)) {
    if (!(key in specs)) fail(where, `unsupported attribute "${key}" (this version has ${names.length ? names.join(", ") : "none"})`);
  }
  const values = new Map<string, OnnxAttributeValue>();
  for (const [name, spec] of Object.entries(specs)) {
    const value = (given as Record<string, unknown>)[name] ?? spec.default;
    if (value === undefined) fail(where, `attribute "${name}" is required`);
    const ok = spec.kind === "float" ? typeof value === "number" && Number.isFinite(value)
      : spec.kind === "int" ? isInt(value) : Array.isArray(value) && value.every(isInt);
    if (!ok) {
      const expected = { float: "a finite number", int: "an integer", ints: "an array of integers" }[spec.kind];
      fail(where, `attribute "${name}" must be ${expected}, got ${describe(value)}`);
    }
    values.set(name, Array.isArray(value) ? value.slice() : (value as number));
  }
  return values;
}

/** The node's inputs against the version's names ("?" marks an optional one): each an OnnxTensor or null. */
export function checkInputs(where: string, names: readonly string[], given: unknown): (OnnxTensor | null)[] {
  if (!Array.isArray(given)) fail(where, `inputs must be an array of { data: Float32Array, shape } (or null for an omitted optional input), got ${describe(given)}`);
  if (given.length > names.length) fail(where, `got ${given.length} inputs, this version has ${names.length} (${names.map(nameOf).join(", ")})`);
  return names.map((spec, i) => {
    const value: unknown = given[i];
    const role = `input ${i} (${nameOf(spec)})`;
    if (value === null || value === undefined) {
      if (!spec.endsWith("?")) fail(where, `${role} is required`);
      return null;
    }
    const form = `${role} must be { data: Float32Array, shape: number[] }`;
    if (typeof value !== "object") fail(where, `${form}, got ${describe(value)}`);
    const t = value as Partial<OnnxTensor>;
    if (!(t.data instanceof Float32Array)) fail(where, `${form}, got ${describe(t.data)} as its data`);
    const size = checkShape(where, t.shape, `${role}'s shape`);
    if (t.data.length !== size) fail(where, `${role} has ${t.data.length} values, but its shape ${describe(t.shape)} has ${size}`);
    return { data: t.data, shape: (t.shape as number[]).slice() };
  });
}

const nameOf = (spec: string) => spec.replace(/\?$/, "");

/**
 * `data` of shape `from` broadcast (numpy rules) to `to`: `from` right-aligned, each of its dims
 * 1 or equal to the target's, any extra leading dims 1. null when it does not broadcast.
 */
export function broadcastTo(data: Float32Array, from: readonly number[], to: readonly number[]): Float32Array | null {
  const lead = from.length - to.length;
  if (from.slice(0, Math.max(lead, 0)).some((d) => d !== 1)) return null;
  const src = to.map((_, j) => (j + lead >= 0 ? from[j + lead] : 1));
  if (src.some((d, j) => d !== 1 && d !== to[j])) return null;
  if (src.every((d, j) => d === to[j])) return data;
  // Each target index's source offset: the target's digits, with stride 0 on broadcast dims.
  const strides = new Array<number>(to.length);
  for (let j = to.length - 1, s = 1; j >= 0; j--) {
    strides[j] = src[j] === 1 ? 0 : s;
    s *= src[j];
  }
  const out = new Float32Array(to.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) {
    let rest = i, offset = 0;
    for (let j = to.length - 1; j >= 0; j--) {
      offset += (rest % to[j]) * strides[j];
      rest = Math.floor(rest / to[j]);
    }
    out[i] = data[offset];
  }
  return out;
}

/** What an op implementation gets: the checked inputs and attributes, with typed accessors. */
export class OpCall {
  constructor(
    readonly where: string,
    readonly backend: KernelBackend,
    private readonly names: readonly string[],
    private readonly inputs: readonly (OnnxTensor | null)[],
    private readonly attributes: ReadonlyMap<string, OnnxAttributeValue>,
  ) {}

  fail(message: string): never {
    fail(this.where, message);
  }

  private role(i: number): string {
    return `input ${i} (${nameOf(this.names[i])})`;
  }

  /** A required input (the checks made it present). */
  input(i: number): OnnxTensor {
    return this.inputs[i]!;
  }

  /** Input i as a 1-D tensor of n values (null when an optional input is omitted). */
  vector(i: number, n: number, meaning: string): Float32Array | null {
    const t = this.inputs[i];
    if (t === null) return null;
    if (t.shape.length !== 1 || t.shape[0] !== n) this.fail(`${this.role(i)} must have shape [${n}] (${meaning}), got ${describe(t.shape)}`);
    return t.data;
  }

  /** Input i broadcast to the normalized shape (null when omitted). */
  param(i: number, normalized: readonly number[]): Float32Array | null {
    const t = this.inputs[i];
    if (t === null) return null;
    const out = broadcastTo(t.data, t.shape, normalized);
    if (out === null) {
      this.fail(`${this.role(i)} of shape ${describe(t.shape)} does not broadcast to the normalized shape [${normalized.join(", ")}]`);
    }
    return out;
  }

  /** A FLOAT or INT attribute (checked against its kind already). */
  number(name: string): number {
    return this.attributes.get(name) as number;
  }

  ints(name: string): number[] {
    return this.attributes.get(name) as number[];
  }

  /** An int attribute that must be one of `allowed` (what each value means, for the message). */
  choice(name: string, allowed: readonly number[], what: string): number {
    const v = this.number(name);
    if (!allowed.includes(v)) this.fail(`attribute "${name}" = ${v} is not supported (${what})`);
    return v;
  }

  /** An axis of a rank-r tensor, negative counting from the end, as 0 .. r - 1. */
  axis(value: number, rank: number, name: string): number {
    if (value < -rank || value >= rank) this.fail(`${name} = ${value} is out of range for input of rank ${rank} (expected ${-rank} .. ${rank - 1})`);
    return value < 0 ? value + rank : value;
  }
}

/** stash_type: the precision of the statistics; float32 (1) is the only one for float32 data here. */
export function checkStashType(call: OpCall): void {
  call.choice("stash_type", [1], "1, float32 statistics, is the one supported: inputs and outputs are float32");
}

/** An output from the functional API's result: float32 data (statistics rounded from float64) and its shape. */
export function output(data: Float32Array | Float64Array, shape: readonly number[]): OnnxTensor {
  return { data: data instanceof Float32Array ? data : Float32Array.from(data), shape: shape.slice() };
}
