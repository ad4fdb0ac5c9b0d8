// A sync group seen from one rank: a barrier over Atomics.wait / Atomics.notify, and the
// collectives built on it. Every collective writes this rank's values into its slot of the
// current bank, waits for all ranks, then reads every slot. Banks alternate per
// collective: a rank can only write bank b again after passing the next barrier, which
// every other rank reaches only after it has finished reading bank b.
//
// Why shared memory and not postMessage: the modules keep BatchNorm2d's synchronous API
// (forward returns y, not a promise), and a rank waiting on Atomics.wait wakes in
// microseconds, where a coordinator relaying messages would add an event-loop round trip
// per exchange and a thread that must stay responsive.

import { describe, fail } from "../../runtime/checks.js";
import type { ShardStats } from "../../ops/split.js";
import { mergeShardStats } from "../../ops/split.js";
import type { SyncGroupHandle } from "./group.js";
import { ARRIVED, GEN, HEADER, MAX_WORLD, SharedState } from "./shared-state.js";

/** What a slot holds; checked across ranks. */
const Exchange = { Stats: 1, GradSums: 2, AllReduce: 3 } as const;
type Exchange = (typeof Exchange)[keyof typeof Exchange];

const EXCHANGE_NAMES = ["", "forward (statistics)", "backward (gradient sums)", "allReduce"];

export class SyncChannel {
  readonly rank: number;
  readonly worldSize: number;
  readonly timeoutMs: number;
  readonly slotValues: number;
  private readonly state: SharedState;

  private constructor(handle: SyncGroupHandle) {
    this.rank = handle.rank;
    this.worldSize = handle.worldSize;
    this.timeoutMs = handle.timeoutMs;
    this.slotValues = handle.slotValues;
    this.state = new SharedState(handle.buffer, { worldSize: handle.worldSize, slotValues: handle.slotValues });
  }

  /** This rank's channel of a group, from its handle (SyncGroup.handle(rank)), checked; `where` names the caller in errors. */
  static join(handle: SyncGroupHandle, where = "SyncChannel.join"): SyncChannel {
    const h = handle as SyncGroupHandle;
    const ok = typeof handle === "object" && handle !== null && h.kind === "batchnorm-wasm/sync-group" &&
      typeof SharedArrayBuffer !== "undefined" && h.buffer instanceof SharedArrayBuffer &&
      Number.isInteger(h.worldSize) && h.worldSize >= 1 && h.worldSize <= MAX_WORLD &&
      Number.isInteger(h.rank) && h.rank >= 0 && h.rank < h.worldSize && Number.isInteger(h.slotValues) && h.timeoutMs > 0;
    if (!ok) fail(where, `group must be a handle from SyncGroup.handle(rank), got ${describe(handle)}`);
    return new SyncChannel(h);
  }

  /** Largest channel count an exchange of statistics or gradient sums can carry. */
  get maxChannels(): number {
    return this.slotValues >> 1;
  }

  /** Throws (naming `where`) if the group is broken. */
  checkWorking(where: string): void {
    const reason = this.state.brokenReason();
    if (reason !== null) throw brokenError(where, reason);
  }

  /** Breaks the group with `reason` (if it is not broken already). */
  abort(reason: string): void {
    this.state.abort(reason);
  }

  /**
   * Publishes `payload` (at most slotValues values) with a header, waits for every rank,
   * checks that all ranks exchanged the same thing, and returns each rank's payload view
   * (valid until this rank's next collective).
   */
  private exchange(where: string, kind: Exchange, C: number, payload: ArrayLike<number>, count: number): Float64Array[] {
    this.checkWorking(where);
    const s = this.state, c = s.control;
    const bank = Atomics.load(c, ARRIVED + this.rank) & 1;
    const mine = s.slotAt(bank, this.rank);
    s.slots[mine] = kind;
    s.slots[mine + 1] = C;
    s.slots[mine + 2] = payload.length;
    s.slots[mine + 3] = count;
    s.slots.set(payload, mine + HEADER);
    this.barrier(where, kind);
    const views: Float64Array[] = [];
    for (let r = 0; r < this.worldSize; r++) {
      const at = s.slotAt(bank, r);
      const [k, rc, n, rcount] = [s.slots[at], s.slots[at + 1], s.slots[at + 2], s.slots[at + 3]];
      if (k !== kind || rc !== C || n !== payload.length || (kind === Exchange.AllReduce && rcount !== count)) {
        const what = (kk: number, cc: number, nn: number) =>
          kk === Exchange.AllReduce ? `allReduce of ${nn} values` : `${EXCHANGE_NAMES[kk] ?? "?"} of ${cc} channels`;
        const reason = `rank ${this.rank} is in the ${what(kind, C, kind === Exchange.AllReduce ? count : C)} while rank ${r} is in the ` +
          `${what(k, rc, rcount)}: every rank must make the same collective calls in the same order`;
        this.abort(reason);
        throw brokenError(where, reason);
      }
      views.push(s.slots.subarray(at, at + HEADER + payload.length));
    }
    return views;
  }

  /**
   * Waits until every rank has arrived at this barrier (each rank's ARRIVED count reached
   * this rank's), the group broke, or the timeout passed. A barrier every rank reached
   * counts as passed even if the group breaks right after (say, a peer that made its last
   * call exits): only a missing rank makes it fail.
   */
  private barrier(where: string, kind: Exchange): void {
    const c = this.state.control;
    const mine = Atomics.add(c, ARRIVED + this.rank, 1) + 1;
    const allArrived = () => {
      for (let r = 0; r < this.worldSize; r++) if (Atomics.load(c, ARRIVED + r) < mine) return false;
      return true;
    };
    if (allArrived()) {
      Atomics.add(c, GEN, 1);
      Atomics.notify(c, GEN);
      return;
    }
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      // Read the wake-up word before checking, so an arrival after the check changes it and the wait returns at once.
      const gen = Atomics.load(c, GEN);
      if (allArrived()) return;
      const reason = this.state.brokenReason();
      if (reason !== null) throw brokenError(where, reason);
      const left = deadline - Date.now();
      if (left <= 0) {
        const missing: number[] = [];
        for (let r = 0; r < this.worldSize; r++) if (Atomics.load(c, ARRIVED + r) < mine) missing.push(r);
        const timeout = `rank ${this.rank} waited ${this.timeoutMs} ms in the ${EXCHANGE_NAMES[kind]} for rank ` +
          `${missing.join(", ")}, which never arrived (it died, threw, or is stuck)`;
        this.abort(timeout);
        throw brokenError(where, this.state.brokenReason() ?? timeout);
      }
      try {
        Atomics.wait(c, GEN, gen, left);
      } catch {
        fail(where, "Atomics.wait is not allowed on this thread (a browser's main thread): run SyncBatchNorm in Web Workers");
      }
    }
  }

  /** Merged (Chan's formula, in rank order) statistics of every rank's shard. */
  allGatherStats(where: string, local: ShardStats): ShardStats {
    const C = local.mean.length;
    const payload = new Float64Array(2 * C);
    payload.set(local.mean);
    payload.set(local.var, C);
    const views = this.exchange(where, Exchange.Stats, C, payload, local.count);
    const shards = views.map((v) => ({
      count: v[3], mean: v.subarray(HEADER, HEADER + C), var: v.subarray(HEADER + C, HEADER + 2 * C),
    }));
    return mergeShardStats(shards, C);
  }

  /** Sums of sumDy / sumDyXmu over the ranks, in rank order (so every rank gets the same bits). */
  allReduceGradSums(where: string, sumDy: Float64Array, sumDyXmu: Float64Array): { sumDy: Float64Array; sumDyXmu: Float64Array } {
    const C = sumDy.length;
    const payload = new Float64Array(2 * C);
    payload.set(sumDy);
    payload.set(sumDyXmu, C);
    const total = sumOf(this.exchange(where, Exchange.GradSums, C, payload, 0), 2 * C);
    return { sumDy: total.subarray(0, C), sumDyXmu: total.subarray(C) };
  }

  /**
   * values = the sum of every rank's values (in place, in rank order, in f64), in chunks of
   * slotValues (2 x maxChannels) per exchange. Collective: every rank calls it with as many values.
   */
  allReduce<T extends Float32Array | Float64Array>(values: T, where = "SyncChannel.allReduce"): T {
    if (!(values instanceof Float32Array || values instanceof Float64Array)) {
      fail(where, `values must be a Float32Array or a Float64Array, got ${describe(values)}`);
    }
    for (let at = 0, chunk = 0; at < values.length || chunk === 0; at += this.slotValues, chunk++) {
      const part = values.subarray(at, Math.min(values.length, at + this.slotValues));
      const total = sumOf(this.exchange(where, Exchange.AllReduce, chunk, part, values.length), part.length);
      part.set(total);
    }
    return values;
  }
}

function sumOf(views: readonly Float64Array[], n: number): Float64Array {
  const total = new Float64Array(n);
  for (const v of views) for (let i = 0; i < n; i++) total[i] += v[HEADER + i];
  return total;
}

function brokenError(where: string, reason: string): Error {
  return new Error(`${where}: the sync group is broken: ${reason}. Every rank's collective calls now fail; start a new group to go on`);
}
