// The package inside a module Web Worker in Chromium: every PyTorch fixture case runs in the
// worker (SIMD, scalar and the default build) and on the main thread; the numbers must be
// identical (same binary, same inputs) and match PyTorch.
import { describe, expect, it } from "vitest";
import { createBackend, simdSupported } from "../../src/index.js";
import { expectClose } from "../helpers/compare.js";
import { fixtureCases } from "../helpers/fixtures.js";
import { TOL, TOL_RUNNING } from "../bodies/fixtures.js";
import { runFixture } from "./workers/run-fixture.js";
import { runInWorker } from "./workers/client.js";

describe("module Web Worker", () => {
  it("imports the package, computes forward/backward, and agrees with the main thread and PyTorch", async () => {
    const builds = [
      { name: "simd", options: { simd: true } },
      { name: "scalar", options: { simd: false } },
      { name: "auto", options: { simd: "auto" as const } },
    ];
    const answer = await runInWorker(fixtureCases, builds);
    expect(answer.isWorker, "ran in a worker scope").toBe(true);
    expect(answer.moduleWorker, "ran as a module worker").toBe(true);
    expect(answer.simdSupported).toBe(simdSupported());
    expect(answer.defaultKind).toBe("simd");
    expect(answer.results.map((r) => r.kind)).toEqual(["simd", "scalar", "simd"]);

    let compared = 0;
    for (const r of answer.results) {
      const backend = createBackend(builds.find((b) => b.name === r.name)!.options);
      fixtureCases.forEach((c, i) => {
        const main = runFixture(c, backend);
        const inWorker = r.cases[i];
        // Same binary and inputs on both threads: bit-identical numbers.
        expect(inWorker, `${r.name} ${c.name}: worker vs main thread`).toEqual(main);
        inWorker.forEach((s, k) => {
          const step = c.steps[k];
          const label = `worker ${r.name} ${c.name} step ${k + 1}`;
          expectClose(s.y, step.y, TOL, `${label} y`);
          if (step.dx) expectClose(s.dx, step.dx, TOL, `${label} dx`);
          if (step.dweight) expectClose(s.dweight, step.dweight, TOL, `${label} dweight`);
          if (step.dbias) expectClose(s.dbias, step.dbias, TOL, `${label} dbias`);
          if (step.running_mean) expectClose(s.runningMean, step.running_mean, TOL_RUNNING, `${label} running_mean`);
          compared++;
        });
      });
    }
    expect(compared).toBeGreaterThanOrEqual(3 * fixtureCases.length);
  });
});
