// Running a property: the two wasm builds under test, the float64 reference backend, the
// number of runs and the seed. Every property logs its seed; on failure fast-check's error
// (shown by the vitest reporter) carries the seed, the shrink path and the counterexample,
// and PROPERTY_SEED / PROPERTY_PATH replay exactly that case.
//
//   PROPERTY_RUNS=20000 npx vitest run test/properties        # a longer soak
//   PROPERTY_SEED=123 PROPERTY_PATH="4:1" npx vitest run test/properties/layernorm.test.ts
import fc from "fast-check";
import { afterAll, it } from "vitest";
import { createBackend, createReferenceBackend, simdSupported, type Backend } from "../../src/index.js";
import { worstRatios } from "./tolerance.js";

export interface Build {
  readonly name: "simd" | "scalar";
  readonly backend: Backend;
}

/** The builds under test, one instance each for the whole file (so reuse of their memory is exercised too). */
export function wasmBuilds(): Build[] {
  if (!simdSupported()) throw new Error("this engine does not validate the SIMD build; the property suites need it");
  return [
    { name: "simd", backend: createBackend({ simd: true }) },
    { name: "scalar", backend: createBackend({ simd: false }) },
  ];
}

export const reference: Backend = createReferenceBackend();

const env = (name: string) => (typeof process !== "undefined" ? process.env[name] : undefined);

/** Runs per property: the default, or PROPERTY_RUNS. */
export function runCount(defaultRuns: number): number {
  const v = Number(env("PROPERTY_RUNS"));
  return Number.isInteger(v) && v > 0 ? v : defaultRuns;
}

/** Cases run (and cases skipped by fc.pre, outside the kernels' domain) per property, for the summary line. */
export const caseCounts = new Map<string, { runs: number; seed: number; ms: number; skipped: number }>();

/**
 * Declares a vitest test that checks `predicate` on `runs` cases drawn from `arb`. The
 * predicate throws (a Mismatch or any Error) to fail.
 */
export function propertyTest<T>(name: string, arb: fc.Arbitrary<T>, predicate: (value: T) => void, defaultRuns: number): void {
  it(name, () => {
    const runs = runCount(defaultRuns);
    const fixed = env("PROPERTY_SEED");
    const seed = fixed !== undefined ? Number(fixed) : (Date.now() ^ (Math.random() * 0x100000000)) | 0;
    const path = env("PROPERTY_PATH");
    const start = performance.now();
    const details = fc.check(fc.property(arb, (value) => predicate(value)), {
      numRuns: runs,
      seed,
      ...(path ? { path } : {}),
      // The first failure is shrunk to a small counterexample; the report then shows it.
      verbose: 1,
    });
    // fast-check's own report: the seed, the shrink path, the counterexample and the error.
    if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? "property failed", { cause: details.errorInstance });
    caseCounts.set(name, { runs: details.numRuns, seed, ms: performance.now() - start, skipped: details.numSkips });
  }, 600_000);
}

/** Prints, after the file's tests, the cases run with their seeds and the worst measured errors. */
export function reportAfterAll(title: string): void {
  afterAll(() => {
    const lines = [...caseCounts].map(([name, c]) =>
      `  ${name}: ${c.runs} cases (${c.skipped} more drawn outside the domain and skipped), seed ${c.seed}, ${(c.ms / 1000).toFixed(1)} s`);
    const worst = [...worstRatios].sort(([a], [b]) => a.localeCompare(b)).map(([q, r]) => `  ${q}: ${r.toExponential(2)}`);
    console.log(`${title}\n${lines.join("\n")}\nworst error / scale against the reference:\n${worst.join("\n")}`);
  });
}
