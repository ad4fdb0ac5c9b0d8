// Argument checks shared by every entry point. Each throws an Error that names the call,
// the argument and what was expected, before anything is changed.

import type { Dims, Layout } from "./backend.js";

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return `[${value.map((v) => (typeof v === "number" ? String(v) : typeof v)).join(", ")}]`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as { length: number }).length})`;
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

export function fail(where: string, message: string): never {
  throw new Error(`${where}: ${message}`);
}

/** A shape: an array of positive integers; returns its element count. */
export function checkShape(where: string, shape: unknown, name = "shape"): number {
  if (!Array.isArray(shape)) fail(where, `${name} must be an array of positive integers, got ${describe(shape)}`);
  let size = 1;
  for (let i = 0; i < shape.length; i++) {
    const v = shape[i];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      fail(where, `${name}[${i}] must be a positive integer, got ${describe(v)} in ${describe(shape)}`);
    }
    size *= v;
  }
  if (size > 2 ** 32) fail(where, `${name} ${describe(shape)} has ${size} elements, more than wasm32 memory can hold`);
  return size;
}

export function checkEps(where: string, eps: unknown): number {
  if (typeof eps !== "number" || !Number.isFinite(eps) || eps < 0) {
    fail(where, `eps must be a finite number >= 0, got ${describe(eps)}`);
  }
  return eps;
}

export function checkMomentum(where: string, momentum: unknown, allowNull: boolean): number | null {
  if (momentum === null && allowNull) return null;
  if (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1)) {
    fail(where, `momentum must be a number in [0, 1]${allowNull ? " or null" : ""}, got ${describe(momentum)}`);
  }
  return momentum;
}

export function checkLayout(where: string, layout: unknown): Layout {
  if (layout !== "NCHW" && layout !== "NHWC") fail(where, `layout must be "NCHW" or "NHWC", got ${describe(layout)}`);
  return layout;
}

export function checkBoolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== "boolean") fail(where, `${name} must be true or false, got ${describe(value)}`);
  return value;
}

export function checkPositiveInteger(where: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    fail(where, `${name} must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

/** Rejects keys of an options object that are not in `known` (typos would pass silently). */
export function checkOptionKeys(where: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null) fail(where, `options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) fail(where, `unknown option ${JSON.stringify(key)} (expected one of ${known.join(", ")})`);
  }
}

/** A per-channel array: a Float32Array / Float64Array / number[] of length C. */
export function checkChannelArray(where: string, name: string, value: unknown, C: number): ArrayLike<number> {
  const ok = value instanceof Float32Array || value instanceof Float64Array ||
    (Array.isArray(value) && value.every((v) => typeof v === "number"));
  if (!ok) fail(where, `${name} must be a Float32Array of length ${C}, got ${describe(value)}`);
  const arr = value as ArrayLike<number>;
  if (arr.length !== C) fail(where, `${name} must have length ${C} (one value per channel), got length ${arr.length}`);
  return arr;
}

/** N, C, S of an (N, C, *spatial) shape (NCHW) or an (N, *spatial, C) shape (NHWC). */
export function dimsOf(shape: readonly number[], layout: Layout): Dims {
  const channelsLast = layout === "NHWC" && shape.length > 2;
  const C = channelsLast ? shape[shape.length - 1] : shape[1];
  let S = 1;
  const [from, to] = channelsLast ? [1, shape.length - 1] : [2, shape.length];
  for (let i = from; i < to; i++) S *= shape[i];
  return { N: shape[0], C, S, channelsLast };
}

/** "[N, C, H, W]"-style description of the axes for messages. */
export function axesOf(rank: number, layout: Layout): string {
  const spatial = ["D", "H", "W"].slice(3 - (rank - 2));
  if (rank === 3) spatial.splice(0, 1, "L");
  const axes = layout === "NHWC" && rank > 2 ? ["N", ...spatial, "C"] : ["N", "C", ...spatial];
  return `(${axes.join(", ")})`;
}
