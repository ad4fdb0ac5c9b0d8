// The SharedArrayBuffer a sync group's ranks share: a control block (barrier, broken flag,
// per-rank arrival counts), the reason a broken group gives, and two banks of per-rank
// slots where ranks publish what they exchange.
//
//   Int32 control words | reason bytes | f64 slots: [bank 0: rank 0 .. W-1][bank 1: ...]
//
// A slot starts with a header (what is being exchanged, and the channel count) that every
// rank checks against its own, so ranks calling collectives in different orders get an
// error instead of each other's numbers.

/** Control words (Int32 indices). */
export const GEN = 0; // wake-up word: bumped when the last rank arrives at a barrier, and on abort
export const STATE = 2; // 0 working, 1 breaking (reason being written), 2 broken
export const REASON_LENGTH = 3;
export const ARRIVED = 8; // ARRIVED + r: barriers rank r has arrived at
export const MAX_WORLD = 56;
export const CONTROL_WORDS = ARRIVED + MAX_WORLD;
export const REASON_BYTES = 2048;
/** f64 values before a slot's payload: kind, channel count, payload length, spare. */
export const HEADER = 4;

export interface SharedLayout {
  readonly worldSize: number;
  /** f64 values of payload per slot. */
  readonly slotValues: number;
}

export function bufferBytes(l: SharedLayout): number {
  return CONTROL_WORDS * 4 + REASON_BYTES + 2 * l.worldSize * (HEADER + l.slotValues) * 8;
}

/** Views of a group's buffer. */
export class SharedState {
  readonly control: Int32Array;
  readonly reason: Uint8Array;
  readonly slots: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer, readonly layout: SharedLayout) {
    this.control = new Int32Array(buffer, 0, CONTROL_WORDS);
    this.reason = new Uint8Array(buffer, CONTROL_WORDS * 4, REASON_BYTES);
    this.slots = new Float64Array(buffer, CONTROL_WORDS * 4 + REASON_BYTES);
  }

  /** Offset (in f64 values) of rank r's slot in `bank` (0 or 1). */
  slotAt(bank: number, r: number): number {
    return (bank * this.layout.worldSize + r) * (HEADER + this.layout.slotValues);
  }

  /** The reason the group broke, or null while it works. */
  brokenReason(): string | null {
    const c = this.control;
    if (Atomics.load(c, STATE) === 0) return null;
    // A rank is writing the reason: it takes microseconds.
    while (Atomics.load(c, STATE) === 1) Atomics.wait(c, STATE, 1, 5);
    const n = Atomics.load(c, REASON_LENGTH);
    // TextDecoder refuses views of shared memory: copy the bytes out first.
    return new TextDecoder().decode(this.reason.slice(0, n));
  }

  /**
   * Marks the group broken with `reason` (the first reason wins) and wakes every rank
   * waiting at a barrier. Returns false when it was broken already.
   */
  abort(reason: string): boolean {
    const c = this.control;
    if (Atomics.compareExchange(c, STATE, 0, 1) !== 0) return false;
    const bytes = new TextEncoder().encode(reason).subarray(0, REASON_BYTES);
    this.reason.set(bytes);
    Atomics.store(c, REASON_LENGTH, bytes.length);
    Atomics.store(c, STATE, 2);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    return true;
  }
}
