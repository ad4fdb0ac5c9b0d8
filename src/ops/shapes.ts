// The geometry checks of every op: what an input's shape means to batch, layer, group and
// instance norm, and the input itself (a Float32Array with its shape, or a Tensor). Each
// throws an Error naming the call and what was expected, before anything is changed.

import type { Dims, GroupDims, KernelBackend, Layout, Region } from "../runtime/backend.js";
import { checkShape, describe, fail } from "../runtime/checks.js";
import { Tensor } from "../runtime/tensor.js";

/**
 * What a caller handed in as data: a plain Float32Array (copied through staging), a
 * Float32Array that is a view of the backend's memory (used in place, as a tensor is) or a
 * Tensor (used in place).
 */
export interface Input {
  readonly shape: readonly number[];
  readonly size: number;
  readonly tensor: Tensor | null;
  readonly array: Float32Array | null;
  /** The array's place in the backend's memory when it is a view of it, else null. */
  readonly view?: Region | null;
}

/** A caller's Float32Array an output is written to (the `out` / `dx` options). */
export interface Out {
  readonly array: Float32Array;
  /** Its place in the backend's memory when it is a view of it (the kernel writes there), else null. */
  readonly view: Region | null;
}

/** A Float32Array of length 0 where elements were expected is most likely a view detached by memory growth. */
const detachedHint = (a: Float32Array) =>
  a.length === 0 ? " (a view of a backend's memory is detached, length 0, once the memory grows: read tensor.data again)" : "";

export function resolveInput(where: string, name: string, value: unknown, shape: unknown, backend: KernelBackend): Input {
  if (value instanceof Tensor) {
    value.regionFor(where, name);
    if (value.backend !== backend) {
      fail(where, `${name} is a tensor of another backend's memory; create it with tensor(shape, data, { backend }) of this module's backend`);
    }
    if (shape !== undefined && shape !== null) {
      checkShape(where, shape);
      const same = (shape as number[]).length === value.shape.length && value.shape.every((v, i) => v === (shape as number[])[i]);
      if (!same) fail(where, `shape ${describe(shape)} does not match the shape of tensor ${name}, ${describe(value.shape)}`);
    }
    return { shape: value.shape, size: value.size, tensor: value, array: null };
  }
  if (!(value instanceof Float32Array)) {
    fail(where, `${name} must be a Float32Array or a Tensor from tensor(), got ${describe(value)}`);
  }
  if (shape === undefined || shape === null) fail(where, `shape is required when ${name} is a Float32Array`);
  const size = checkShape(where, shape);
  if (value.length !== size) {
    fail(where, `${name} has length ${value.length}, but shape ${describe(shape)} has ${size} elements${detachedHint(value)}`);
  }
  return { shape: (shape as number[]).slice(), size, tensor: null, array: value, view: backend.viewRegion(value) };
}

/**
 * An output option (`out`, `dx`, ...): absent (null), or a Float32Array of the size of
 * `like` (the input whose shape the output has, named in the message), itself a
 * Float32Array (a tensor's output is a new tensor). It may
 * alias the call's inputs: a plain array is written only after every input was copied in,
 * and a view of the backend's memory is written in place unless it overlaps an input read
 * in place, when staging takes it (Workspace.stage).
 */
export function resolveOut(where: string, name: string, value: unknown, like: Input, likeName: string, backend: KernelBackend): Out | null {
  if (value === undefined || value === null) return null;
  // A tensor's output is a new tensor; its .data passed instead is used in place and takes `out`.
  if (like.tensor) fail(where, `${name} is for a Float32Array ${likeName}; with a tensor ${likeName} the result is a new tensor (pass ${likeName}.data, a view used in place, to write into ${name})`);
  if (!(value instanceof Float32Array)) fail(where, `${name} must be a Float32Array of ${like.size} elements, got ${describe(value)}`);
  if (value.length !== like.size) {
    fail(where, `${name} must have ${like.size} elements (the size of ${likeName}, shape ${describe(like.shape)}), got length ${value.length}${detachedHint(value)}`);
  }
  return { array: value, view: backend.viewRegion(value) };
}

export function checkLayout(where: string, layout: unknown): Layout {
  if (layout !== "NCHW" && layout !== "NHWC") fail(where, `layout must be "NCHW" or "NHWC", got ${describe(layout)}`);
  return layout;
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

/** The batch-norm view of a functional call's x: (N, C, *) of rank >= 2 in `layout`. */
export function batchDims(where: string, shape: readonly number[], layout: Layout): Dims {
  if (shape.length < 2) fail(where, `x must have at least 2 dimensions (N, C, ...), got shape ${describe(shape)}`);
  return dimsOf(shape, layout);
}

/** "[N, C, H, W]"-style description of the axes for messages. */
export function axesOf(rank: number, layout: Layout): string {
  const spatial = ["D", "H", "W"].slice(3 - (rank - 2));
  if (rank === 3) spatial.splice(0, 1, "L");
  const axes = layout === "NHWC" && rank > 2 ? ["N", ...spatial, "C"] : ["N", "C", ...spatial];
  return `(${axes.join(", ")})`;
}

/** The batch statistics need more than one value per channel, as in PyTorch. */
export function checkBatchCount(where: string, d: Dims, shape: readonly number[], when: string): void {
  if (d.N * d.S === 1) fail(where, `expected more than 1 value per channel ${when}, got x of shape ${describe(shape)}`);
}

/** normalizedShape: a positive integer or a non-empty array of them; returned as an array. */
export function checkNormalizedShape(where: string, value: unknown): number[] {
  const shape = typeof value === "number" ? [value] : value;
  if (!Array.isArray(shape) || shape.length === 0) {
    fail(where, `normalizedShape must be a positive integer or a non-empty array of positive integers, got ${describe(value)}`);
  }
  checkShape(where, shape, "normalizedShape");
  return shape.slice();
}

/** What one value of a layer-norm parameter stands for, in messages. */
export function elementMeaning(normalizedShape: readonly number[]): string {
  return `one value per element of normalizedShape [${normalizedShape.join(", ")}]`;
}

/** R rows of L values: x's shape (or that of the input called `name`) must end with normalizedShape. */
export function layerRows(where: string, shape: readonly number[], normalizedShape: readonly number[], name = "x"): { R: number; L: number } {
  const k = normalizedShape.length;
  const tail = shape.slice(shape.length - k);
  if (shape.length < k || tail.some((v, i) => v !== normalizedShape[i])) {
    fail(where, `expected ${name} of shape [*, ${normalizedShape.join(", ")}] (ending with normalizedShape), got ${name} of shape ${describe(shape)}`);
  }
  const L = normalizedShape.reduce((a, b) => a * b, 1);
  let R = 1;
  for (let i = 0; i < shape.length - k; i++) R *= shape[i];
  return { R, L };
}

/** numGroups must divide numChannels. */
export function checkGroups(where: string, numGroups: number, numChannels: number): void {
  if (numChannels % numGroups !== 0) {
    fail(where, `numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
  }
}

/** "(N, C, *)" or, channels last, "(N, *, C)": group and instance norm's shapes of any rank, for messages. */
function anyRankAxes(layout: Layout): string {
  return layout === "NHWC" ? "(N, *, C)" : "(N, C, *)";
}

/**
 * The group-norm view of x's shape in `layout`, with PyTorch's checks: rank >= 2, C channels,
 * and not a single value per (sample-channel block) overall: PyTorch refuses N * (C / G) * spatial = 1.
 */
export function groupDims(where: string, shape: readonly number[], numGroups: number, numChannels: number | null, layout: Layout): GroupDims {
  const axes = anyRankAxes(layout);
  if (shape.length < 2) fail(where, `expected input of shape ${axes} with at least 2 dimensions, got x of shape ${describe(shape)}`);
  const d = dimsOf(shape, layout);
  if (numChannels !== null && d.C !== numChannels) {
    fail(where, `expected ${numChannels} channels (C in ${axes}), got ${d.C} in shape ${describe(shape)}`);
  }
  checkGroups(where, numGroups, d.C);
  if (d.N * (d.C / numGroups) * d.S === 1) {
    fail(where, `expected more than one value to normalize, got x of shape ${describe(shape)} with ${numGroups} groups (as PyTorch, N * C / numGroups * spatial size must exceed 1)`);
  }
  return { ...d, G: numGroups };
}

/**
 * Instance norm's view of x in `layout`: group norm with one channel per group. spatialRank:
 * 1, 2, 3 for the modules (batched or unbatched input accepted, as PyTorch; unbatched is one
 * sample: (C, *spatial), channels last (*spatial, C)), null for the functional API (rank >= 2, batched).
 */
export function instanceDims(
  where: string, shape: readonly number[], spatialRank: number | null, numFeatures: number | null, layout: Layout,
): GroupDims {
  let batched = true;
  if (spatialRank !== null) {
    const full = spatialRank + 2;
    if (shape.length !== full && shape.length !== full - 1) {
      const axes = axesOf(full, layout);
      fail(where, `expected ${full - 1}-D input ${axes.replace("N, ", "")} or ${full}-D input ${axes}, got x of shape ${describe(shape)}`);
    }
    batched = shape.length === full;
  } else if (shape.length < 2) {
    fail(where, `expected input of shape ${anyRankAxes(layout)} with at least 2 dimensions, got x of shape ${describe(shape)}`);
  }
  // An unbatched input is one sample; (C) alone (no spatial dims) is the same in both layouts.
  const d = dimsOf(batched ? shape : [1, ...shape], layout);
  if (numFeatures !== null && d.C !== numFeatures) {
    const axes = anyRankAxes(layout);
    fail(where, `expected ${numFeatures} channels (C in ${batched ? axes : axes.replace("N, ", "")}), got ${d.C} in shape ${describe(shape)}`);
  }
  return { ...d, G: d.C };
}

/** PyTorch's check when instance norm uses the input's own statistics. */
export function checkSpatialSize(where: string, d: GroupDims, shape: readonly number[]): void {
  if (d.S === 1) fail(where, `expected more than 1 spatial element when training, got x of shape ${describe(shape)}`);
}
