// A family of ops (BatchNorm today; LayerNorm / GroupNorm / InstanceNorm later) contributes
// its benchmark rows through this interface: one file per family, listed in index.ts.
import type { Backend } from "../../src/runtime/backend.js";
import type { Case, OpName, Workload } from "../case.js";

/** Shared by every family in one run: one backend per build, so memory is reused. */
export interface BenchContext {
  readonly simd: Backend;
  readonly scalar: Backend;
  /** The SIMD backend with its kernels replaced by no-ops (runners/wrapper-only.ts). */
  readonly wrapperOnly: Backend;
  /** createThreadedBackend({ threads: 2 }) on the SIMD build: the two-thread rows (null: none). */
  readonly threads2: Backend | null;
  /** Workload labels that also get wrapper-only rows (the wrapper-overhead figure). */
  readonly overheadLabels: readonly string[];
}

export interface Family {
  readonly name: string;
  readonly workloads: readonly Workload[];
  /** Every row of one workload, the floor included (measured first). */
  cases(w: Workload, ctx: BenchContext): Case[];
  /** The op name torch_bench.py knows this family by, or null if it has none. */
  readonly torchName: string | null;
  /** The ops it has rows for (default: all of OP_NAMES). */
  readonly ops?: readonly OpName[];
  /** The row test/bench-paths.test.ts checks the others against (default: the BatchNorm reference module, else js-reference). */
  readonly reference?: string;
  /** Small shapes valid for the family, on which test/bench-paths.test.ts checks every row. */
  readonly testWorkloads: readonly Workload[];
}
