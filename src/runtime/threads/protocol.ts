// What the calling thread and the workers share besides the wasm memory: the control words
// (an Int32Array over a SharedArrayBuffer of its own) and the layout of the call table, a
// Float64Array in the wasm memory that the calling thread fills before each parallel call.
// Workers get these numbers in their first message (their code is a string with no imports).

/** Control words: bumped once per parallel call (workers wait on it). */
export const EPOCH = 0;
/** Workers still running the current call (the calling thread waits for 0). */
export const PENDING = 1;
/** 1 once a worker failed; the message is in the control buffer's bytes from ERROR_AT. */
export const FAILED = 2;
/** Byte address of the call table in the wasm memory. */
export const TABLE = 3;
/** 1: workers return (dispose). */
export const STOP = 4;
/** Bytes of the failure message. */
export const ERROR_LENGTH = 5;
/** Thread t's entries of the table: [SLICES + 2t, SLICES + 2t + 1) = [first, end). */
export const SLICES = 8;
/** Threads at most (calling thread included). */
export const MAX_THREADS = 64;
/** Byte offset of the failure message in the control buffer, and its capacity. */
export const ERROR_AT = (SLICES + 2 * MAX_THREADS) * 4;
export const ERROR_BYTES = 1024;
export const CONTROL_BYTES = ERROR_AT + ERROR_BYTES;

/** f64 words per table entry. */
export const ENTRY = 16;
/** Entry kinds (word 0). A kernel call: [KERNEL, kernel index, unit from, unit to, argument count, arguments...]. */
export const KERNEL = 0;
/** A byte copy inside the wasm memory: [COPY, destination, source, bytes]. */
export const COPY = 1;
