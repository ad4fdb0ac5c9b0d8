// What the sync rows' main thread and workers share (sync-workers.ts, sync-worker.ts).
import type { SyncGroupHandle } from "../../src/modules/sync/group.js";
import type { OpName, Workload } from "../case.js";
import type { Inputs } from "../data.js";

/** Control words: the call counter the workers wait on, what to do, ranks done with the call. */
export const SEQ = 0;
export const CMD = 1; // 1: run the op, 2: exit
export const DONE = 2;

export interface SyncBenchJob {
  handle: SyncGroupHandle;
  workload: Workload;
  op: OpName;
  /** This rank's first sample and number of samples. */
  start: number;
  count: number;
  /** The workload's parameters (x and dy are in the shared buffers). */
  params: Pick<Inputs, "weight" | "bias" | "runningMean" | "runningVar" | "eps">;
  buffers: {
    x: Float32Array; dy: Float32Array; y: Float32Array; dx: Float32Array;
    dweight: Float32Array; dbias: Float32Array; control: Int32Array;
  };
}
