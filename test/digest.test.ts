// The digest that lets the Firefox run of the shared bodies be compared with Node's bit for
// bit (test/helpers/digest.ts): it must tell apart values one ulp apart, the same values in
// another order, and -0 from 0; it must not tell NaN payloads apart; and the collector must
// record one per test, from the arrays expectClose checked in that test alone.
import { describe, expect, it } from "vitest";
import { addToDigest, readDigest, resetDigest } from "./helpers/digest.js";
import { collect, collectorIt, runTests } from "./helpers/collector.js";
import { expectClose } from "./helpers/compare.js";

function digestOf(...arrays: ArrayLike<number>[]): string {
  resetDigest();
  for (const a of arrays) addToDigest(a);
  return readDigest();
}

describe("the digest of checked numbers", () => {
  const values = Float32Array.from([1.5, -2.25, 3e-8, 1e30]);

  it("is the same for the same values, and counts them", () => {
    expect(digestOf(values)).toBe(digestOf(Array.from(values)));
    expect(digestOf(values)).toMatch(/^4 values, [0-9a-f]{8}$/);
  });

  it("differs for one value one float32 ulp away, for another order, and for -0 against 0", () => {
    const bits = new Uint32Array(values.buffer.slice(0));
    bits[2] += 1;
    expect(digestOf(new Float32Array(bits.buffer))).not.toBe(digestOf(values));
    expect(digestOf([values[1], values[0], values[2], values[3]])).not.toBe(digestOf(values));
    expect(digestOf([-0])).not.toBe(digestOf([0]));
  });

  it("takes any NaN as one value (the engine chooses NaN payloads)", () => {
    const nan = new Float32Array(new Uint32Array([0x7fc00000, 0xffc00001]).buffer);
    expect(digestOf([nan[0]])).toBe(digestOf([nan[1]]));
  });

  it("is recorded per test by the collector, from the arrays expectClose checked in it", async () => {
    const results = await runTests(collect(() => {
      collectorIt("checks one array", () => expectClose(values, values, 0, "one"));
      collectorIt("checks nothing", () => undefined);
      collectorIt("checks it again", () => expectClose(values, values, 0, "again"));
    }));
    expect(results.map((r) => r.digest)).toEqual([digestOf(values), digestOf(), digestOf(values)]);
  });
});
