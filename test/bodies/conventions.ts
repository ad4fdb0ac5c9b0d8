// Batch norm under the "keras" and "onnx" conventions: ONNX's own reference implementation
// and the Keras / TF.js formula (test/fixtures/make_convention_fixtures.py), through the
// modules and the functional API, plus the option's rules.
import { describe, it, expect } from "../helpers/test-api.js";
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, batchNorm, batchNormBackward, type Backend, type Layout } from "../../src/index.js";
import { expectClose } from "../helpers/compare.js";
import { parseFixtureLines } from "../helpers/jsonl.js";
import text from "../fixtures/conventions.jsonl?raw";

const TOL = 1e-4;
const TOL_RUNNING = 1e-5;
const MODULES = { BatchNorm1d, BatchNorm2d, BatchNorm3d };

interface ConventionCase {
  name: string;
  convention: "keras" | "onnx";
  module: keyof typeof MODULES;
  numFeatures: number;
  options: { convention: "keras" | "onnx"; layout: Layout; eps?: number; momentum?: number };
  resolved: { eps: number; momentum: number };
  init: { weight: number[]; bias: number[]; running_mean: number[]; running_var: number[]; num_batches_tracked: number };
  steps: Array<{ mode: "train" | "eval"; shape: number[]; x: number[]; y: number[]; running_mean: number[]; running_var: number[] }>;
}

const cases = parseFixtureLines<ConventionCase>(text, "test/fixtures/conventions.jsonl").cases;
const ramp = (n: number, k = 0.37) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 2 + 0.5);

function initialState(c: ConventionCase) {
  const { weight, bias, running_mean, running_var, num_batches_tracked } = c.init;
  return {
    weight: Float32Array.from(weight), bias: Float32Array.from(bias),
    running_mean: Float32Array.from(running_mean), running_var: Float32Array.from(running_var), num_batches_tracked,
  };
}

export function conventionSuite(makeBackend: () => Backend): void {
  describe.each(cases.map((c) => [c.name, c] as const))("convention fixture %s", (_name, c) => {
    const source = c.convention === "onnx" ? "ONNX reference" : "Keras formula";

    it(`module matches the ${source}`, () => {
      const m = new MODULES[c.module](c.numFeatures, { ...c.options, backend: makeBackend() });
      expect(m.convention).toBe(c.convention);
      expect(m.eps).toBe(c.resolved.eps);
      expect(m.momentum).toBe(c.resolved.momentum);
      m.loadStateDict(initialState(c));
      c.steps.forEach((step, i) => {
        const label = `${c.name} step ${i + 1} (${step.mode})`;
        m.train(step.mode === "train");
        const y = m.forward(Float32Array.from(step.x), step.shape);
        expectClose(y, step.y, TOL, `${label} y`, `${c.convention} y`);
        expectClose(m.runningMean, step.running_mean, TOL_RUNNING, `${label} running_mean`, `${c.convention} running_mean`);
        expectClose(m.runningVar, step.running_var, TOL_RUNNING, `${label} running_var`, `${c.convention} running_var`);
      });
      m.dispose();
    });

    it(`functional batchNorm matches the ${source}`, () => {
      const backend = makeBackend();
      const s = initialState(c);
      const common = { weight: s.weight, runningMean: s.running_mean, runningVar: s.running_var, layout: c.options.layout, backend, convention: c.convention };
      const explicit = { ...(c.options.eps !== undefined ? { eps: c.options.eps } : {}), ...(c.options.momentum !== undefined ? { momentum: c.options.momentum } : {}) };
      c.steps.forEach((step, i) => {
        const label = `${c.name} step ${i + 1} (${step.mode}, functional)`;
        const r = batchNorm(Float32Array.from(step.x), step.shape, { ...common, ...explicit, bias: s.bias, training: step.mode === "train" });
        expectClose(r.y, step.y, TOL, `${label} y`);
        expectClose(s.running_mean, step.running_mean, TOL_RUNNING, `${label} running_mean`);
        expectClose(s.running_var, step.running_var, TOL_RUNNING, `${label} running_var`);
      });
    });
  });

  describe("convention option", () => {
    it("defaults: pytorch 1e-5 / 0.1, keras 1e-3 / 0.99, onnx 1e-5 / 0.9; explicit values win", () => {
      const backend = makeBackend();
      const of = (o: object) => { const m = new BatchNorm2d(3, { backend, ...o }); return [m.convention, m.eps, m.momentum]; };
      expect(of({})).toEqual(["pytorch", 1e-5, 0.1]);
      expect(of({ convention: "keras" })).toEqual(["keras", 1e-3, 0.99]);
      expect(of({ convention: "onnx" })).toEqual(["onnx", 1e-5, 0.9]);
      expect(of({ convention: "keras", eps: 1e-5, momentum: 0.5 })).toEqual(["keras", 1e-5, 0.5]);
    });

    it("refuses momentum: null outside pytorch, and unknown conventions", () => {
      const backend = makeBackend();
      for (const convention of ["keras", "onnx"] as const) {
        expect(() => new BatchNorm2d(3, { backend, convention, momentum: null }))
          .toThrow(new RegExp(`BatchNorm2d: momentum: null .* is PyTorch's; with convention "${convention}" give a number in \\[0, 1\\]`));
      }
      expect(() => new BatchNorm2d(3, { backend, convention: "tf" as never })).toThrow(/BatchNorm2d: convention must be "pytorch", "keras" or "onnx", got "tf"/);
      expect(() => batchNorm(ramp(24), [2, 3, 4], { backend, training: true, convention: "caffe" as never })).toThrow(/batchNorm: convention must be/);
      expect(new BatchNorm2d(3, { backend, convention: "pytorch", momentum: null }).momentum).toBeNull();
    });

    it("keras: momentum is the decay and the moving variance is biased (one step by hand)", () => {
      const backend = makeBackend();
      const m = new BatchNorm1d(2, { backend, convention: "keras", momentum: 0.75 });
      // Channel 0: 1, 3 (mean 2, biased var 1); channel 1: 0, 4 (mean 2, biased var 4).
      m.forward(Float32Array.of(1, 0, 3, 4), [2, 2]);
      expect(Array.from(m.runningMean!)).toEqual([0.5, 0.5]); // 0.75 * 0 + 0.25 * 2
      expect(Array.from(m.runningVar!)).toEqual([1, 1.75]); // 0.75 * 1 + 0.25 * var
      const pt = new BatchNorm1d(2, { backend, momentum: 0.25 });
      pt.forward(Float32Array.of(1, 0, 3, 4), [2, 2]);
      expect(Array.from(pt.runningVar!)).toEqual([1.25, 2.75]); // unbiased: var * 2 / 1
    });

    it("the inference backward uses the convention's eps", () => {
      const backend = makeBackend();
      const m = new BatchNorm2d(2, { backend, convention: "keras" }).eval();
      m.runningVar!.set([0.5, 2]);
      m.weight!.set([1.5, -1]);
      const x = ramp(16), dy = ramp(16, 0.71);
      m.forward(x, [2, 2, 2, 2]);
      const { dx } = m.backward(dy);
      const expected = Array.from(dy, (g, i) => {
        const c = Math.floor(i / 4) % 2;
        return g * m.weight![c] / Math.sqrt(m.runningVar![c] + 1e-3);
      });
      expectClose(dx, expected, 1e-6, "keras eval dx");
      const f = batchNormBackward(dy, x, [2, 2, 2, 2], { backend, convention: "keras", weight: m.weight, runningMean: m.runningMean, runningVar: m.runningVar });
      expectClose(f.dx, expected, 1e-6, "keras eval dx (functional)");
    });
  });
}
