// A running digest of every array a body checks (expectClose feeds it the actual values),
// so a run of the shared bodies in another engine can be compared with Node's bit for bit,
// test by test (test/helpers/collector.ts records it per test). NaN is hashed as one value:
// WebAssembly leaves NaN payloads to the engine, and no check here reads them.
const view = new DataView(new ArrayBuffer(8));
let hash = 0x811c9dc5, count = 0;

/** Starts a new digest (the collector does, before each test). */
export function resetDigest(): void {
  hash = 0x811c9dc5;
  count = 0;
}

/** Adds the values, as float64 bits (FNV-1a over their bytes). */
export function addToDigest(values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    view.setFloat64(0, Number.isNaN(values[i]) ? NaN : values[i]);
    for (let b = 0; b < 8; b++) hash = Math.imul(hash ^ view.getUint8(b), 0x01000193) >>> 0;
  }
  count += values.length;
}

/** The digest so far: how many values, and their hash. */
export function readDigest(): string {
  return `${count} values, ${hash.toString(16).padStart(8, "0")}`;
}
