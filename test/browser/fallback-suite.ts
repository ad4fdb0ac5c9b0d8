// SIMD feature detection and the scalar fallback, on a page whose engine refuses the SIMD
// binary (test/browser/no-simd-engine.ts, imported by the page first): "auto" and the default
// backend pick the scalar build, simd: true fails clearly, and the numbers equal the SIMD
// build's (computed in a module worker, whose engine is unpatched) within 1e-5 relative.
// Chromium runs it as test/browser/fallback.browser.test.ts, Firefox in
// test/firefox/fallback-page.ts; each passes its own way of starting that worker.
import { describe, expect, it } from "../helpers/test-api.js";
import { BatchNorm2d, createBackend, getDefaultBackend, simdSupported } from "../../src/index.js";
import { expectClose } from "../helpers/compare.js";
import { fixtureCases } from "../helpers/fixtures.js";
import { TOL } from "../bodies/fixtures.js";
import { runFixture } from "./workers/run-fixture.js";
import type { runInWorker } from "./workers/client.js";

const SAME_AS_SIMD = 1e-5;

/** rejected: no-simd-engine.ts's counts; simdWorker: runs fixture cases in an unpatched module worker. */
export function fallbackSuite(rejected: { validate: number; compile: number }, simdWorker: typeof runInWorker): void {
  describe("without WebAssembly SIMD", () => {
    it("detects it: simdSupported() is false after validating the real SIMD binary", () => {
      expect(simdSupported()).toBe(false);
      expect(rejected.validate).toBeGreaterThan(0);
    });

    it('createBackend({ simd: "auto" }), createBackend() and the default backend pick the scalar build', () => {
      expect(createBackend({ simd: "auto" }).kind).toBe("scalar");
      expect(createBackend().kind).toBe("scalar");
      expect(getDefaultBackend().kind).toBe("scalar");
      expect(new BatchNorm2d(3).backend.kind).toBe("scalar");
      // The package never tried to compile the SIMD binary.
      expect(rejected.compile).toBe(0);
    });

    it("createBackend({ simd: true }) throws a clear error", () => {
      expect(() => createBackend({ simd: true })).toThrow(/createBackend: simd: true, but this engine does not support WebAssembly SIMD/);
    });

    it("gives the SIMD build's results (from an unpatched worker) within 1e-5, and PyTorch's within tolerance", async () => {
      const answer = await simdWorker(fixtureCases, [{ name: "simd", options: { simd: true } }]);
      expect(answer.simdSupported, "the worker's engine has SIMD").toBe(true);
      expect(answer.results[0].kind).toBe("simd");
      const fallback = createBackend({ simd: "auto" });
      let compared = 0;
      fixtureCases.forEach((c, i) => {
        const ours = runFixture(c, fallback);
        const simd = answer.results[0].cases[i];
        ours.forEach((s, k) => {
          const label = `${c.name} step ${k + 1}: scalar fallback vs SIMD`;
          const want = simd[k];
          expectClose(s.y, want.y, SAME_AS_SIMD, `${label} y`);
          if (c.steps[k].dx) expect(want.dx, `${label}: the SIMD worker gave no dx`).not.toBeNull();
          if (want.dx) expectClose(s.dx, want.dx, SAME_AS_SIMD, `${label} dx`);
          if (want.dweight) expectClose(s.dweight, want.dweight, SAME_AS_SIMD, `${label} dweight`);
          if (want.dbias) expectClose(s.dbias, want.dbias, SAME_AS_SIMD, `${label} dbias`);
          if (want.runningMean) expectClose(s.runningMean, want.runningMean, SAME_AS_SIMD, `${label} running_mean`);
          if (want.runningVar) expectClose(s.runningVar, want.runningVar, SAME_AS_SIMD, `${label} running_var`);
          expectClose(s.y, c.steps[k].y, TOL, `${c.name} step ${k + 1}: fallback vs PyTorch y`);
          compared++;
        });
      });
      expect(compared).toBeGreaterThanOrEqual(fixtureCases.length);
    });
  });
}
