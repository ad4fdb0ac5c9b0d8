// What one benchmark row is: a workload (family, op, shape, layout) and an implementation
// that can be prepared once, run many times, and asked for its outputs (the tests compare
// those against the reference, so a row can never time a broken path).

import type { Layout } from "../src/runtime/backend.js";

/** The ops every family is measured on. */
export type OpName = "train" | "infer" | "trainBackward";

export const OP_NAMES: readonly OpName[] = ["train", "infer", "trainBackward"];

export const OP_LABELS: Record<OpName, string> = {
  train: "training forward",
  infer: "inference forward",
  trainBackward: "training forward + backward",
};

/** A shape in a layout: one group of rows, sharing one memory.copy floor. */
export interface Workload {
  readonly shape: readonly number[];
  readonly layout: Layout;
  /** "32x64x56x56 NCHW", "256x1024 2-D". */
  readonly label: string;
  readonly elements: number;
  /** Tensors of this shape the op reads (default 1: x); the copy floor copies that many (x, then dy). */
  readonly tensors?: number;
}

/**
 * How a row is timed. fast: a time budget with tinybench; slow: as many calls as fit in a
 * smaller budget, at least a few (pure JS, TF.js).
 */
export type Pace = "fast" | "slow";

/** What a run of a case produced, for the correctness tests. */
export interface Outputs {
  y?: Float32Array;
  /** The residual add's sum (addLayerNorm, addRmsNorm). */
  sum?: Float32Array;
  dx?: Float32Array;
  dweight?: Float32Array;
  dbias?: Float32Array;
  /** The floor: the destination of the copy. */
  copied?: Float32Array;
}

/** A case made ready to time: inputs allocated, warm-up not yet done. */
export interface Prepared {
  /** One timed call (asynchronous for model.fit). */
  run(): void | Promise<void>;
  /** The outputs of the last run (copied out). */
  outputs(): Outputs;
  /** Frees everything prepare() made. */
  dispose(): void;
}

export interface Case {
  /** Unique row name; --filter matches substrings of it. */
  readonly id: string;
  readonly family: string;
  readonly workload: Workload;
  /** "copy" for the floor. */
  readonly op: OpName | "copy";
  /** Implementation key (see IMPLEMENTATIONS in implementations.ts). */
  readonly impl: string;
  readonly pace: Pace;
  /** Set when the row is listed but not measured in this run, with the reason. */
  readonly skip?: string;
  /** Set when the row is listed but measured only with --all (a call takes minutes), with the reason. */
  readonly allOnly?: string;
  prepare(): Promise<Prepared> | Prepared;
}

export function rowId(family: string, w: Workload, op: OpName | "copy", impl: string): string {
  return `${family} ${w.label} ${op === "copy" ? "copy" : op} ${impl}`;
}
