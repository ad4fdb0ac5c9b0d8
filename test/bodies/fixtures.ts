// Every PyTorch fixture, through the module API (copy path and zero-copy path) and the
// functional API, on one backend.
import { describe, it, expect } from "../helpers/test-api.js";
import {
  BatchNorm1d, BatchNorm2d, BatchNorm3d, batchNorm, batchNormBackward, batchNormRelu, batchNormReluBackward, tensor,
  type Backend, type Tensor,
} from "../../src/index.js";
import { expectClose } from "../helpers/compare.js";
import { fixtureCases, initialState, type FixtureCase, type FixtureStep } from "../helpers/fixtures.js";

const MODULES = { BatchNorm1d, BatchNorm2d, BatchNorm3d };
/** y, dx, dweight, dbias: relative to the largest reference magnitude. */
export const TOL = 1e-4;
/** Running statistics. */
export const TOL_RUNNING = 1e-5;

function checkStep(label: string, step: FixtureStep, out: { y?: ArrayLike<number>; dx?: ArrayLike<number>; dweight?: ArrayLike<number> | null; dbias?: ArrayLike<number> | null }) {
  if (out.y) expectClose(out.y, step.y, TOL, `${label} y`, "y");
  // A step with dx in the fixture must have dx in the output (expectClose fails on a missing one).
  if (step.dx) expectClose(out.dx, step.dx, TOL, `${label} dx`, "dx");
  if (step.dweight) expectClose(out.dweight, step.dweight, TOL, `${label} dweight`, "dweight");
  if (step.dbias) expectClose(out.dbias, step.dbias, TOL, `${label} dbias`, "dbias");
}

function checkRunning(label: string, step: FixtureStep, m: { runningMean: Float32Array | null; runningVar: Float32Array | null; numBatchesTracked: number }) {
  if (!step.running_mean) {
    expect(m.runningMean, `${label}: no running statistics expected`).toBeNull();
    return;
  }
  expectClose(m.runningMean, step.running_mean, TOL_RUNNING, `${label} running_mean`, "running_mean");
  expectClose(m.runningVar, step.running_var!, TOL_RUNNING, `${label} running_var`, "running_var");
  expect(m.numBatchesTracked, `${label} num_batches_tracked`).toBe(step.num_batches_tracked);
}

function makeModule(c: FixtureCase, backend: Backend) {
  const m = new MODULES[c.module](c.numFeatures, { ...c.options, backend });
  m.loadStateDict(initialState(c));
  return m;
}

export function fixtureSuite(makeBackend: () => Backend): void {
  describe.each(fixtureCases.map((c) => [c.name, c] as const))("fixture %s", (_name, c) => {
    it("module, Float32Array in and out", () => {
      const m = makeModule(c, makeBackend());
      c.steps.forEach((step, i) => {
        const label = `${c.name} step ${i + 1} (${step.mode})`;
        m.train(step.mode === "train");
        const y = m.forward(Float32Array.from(step.x), step.shape);
        const g = step.dy ? m.backward(Float32Array.from(step.dy)) : undefined;
        checkStep(label, step, { y, ...g });
        if (!c.options.affine && g) expect(g.dweight).toBeNull();
        checkRunning(label, step, m);
      });
      m.dispose();
    });

    it("module, tensors in the kernels' memory (zero-copy)", () => {
      const backend = makeBackend();
      const m = makeModule(c, backend);
      c.steps.forEach((step, i) => {
        const label = `${c.name} step ${i + 1} (${step.mode}, tensor)`;
        m.train(step.mode === "train");
        const x = tensor(step.shape, step.x, { backend });
        const y = m.forward(x);
        expect(y.shape).toEqual(step.shape);
        let dy: Tensor | undefined, dx: Tensor | undefined;
        let grads = {};
        if (step.dy) {
          dy = tensor(step.shape, step.dy, { backend });
          const g = m.backward(dy);
          dx = g.dx;
          grads = { dx: dx.data, dweight: g.dweight, dbias: g.dbias };
        }
        checkStep(label, step, { y: y.data, ...grads });
        checkRunning(label, step, m);
        for (const t of [x, y, dy, dx]) t?.dispose();
      });
      m.dispose();
    });

    const relu = c.options.activation === "relu";
    it(relu ? "functional batchNormRelu / batchNormReluBackward" : "functional batchNorm / batchNormBackward", () => {
      const backend = makeBackend();
      const o = c.options;
      const forward = relu ? batchNormRelu : batchNorm;
      const init = initialState(c);
      const runningMean = o.trackRunningStats ? init.running_mean! : null;
      const runningVar = o.trackRunningStats ? init.running_var! : null;
      let batches = init.num_batches_tracked ?? 0;
      c.steps.forEach((step, i) => {
        const label = `${c.name} step ${i + 1} (${step.mode}, functional)`;
        const training = step.mode === "train" || !o.trackRunningStats;
        if (step.mode === "train" && o.trackRunningStats) batches++;
        const momentum = o.momentum ?? 1 / batches;
        const common = { weight: init.weight ?? null, runningMean, runningVar, training, eps: o.eps, layout: o.layout, backend };
        const x = Float32Array.from(step.x);
        const r = forward(x, step.shape, { ...common, bias: init.bias ?? null, momentum: training ? momentum : 0.1 });
        let grads = {};
        if (step.dy) {
          const saved = { ...common, saveMean: r.saveMean, saveInvstd: r.saveInvstd };
          const g = relu
            ? batchNormReluBackward(Float32Array.from(step.dy), x, step.shape, { ...saved, bias: init.bias ?? null })
            : batchNormBackward(Float32Array.from(step.dy), x, step.shape, saved);
          grads = o.affine ? g : { dx: g.dx };
        }
        checkStep(label, step, { y: r.y, ...grads });
        if (step.running_mean) {
          expectClose(runningMean, step.running_mean, TOL_RUNNING, `${label} running_mean`);
          expectClose(runningVar, step.running_var!, TOL_RUNNING, `${label} running_var`);
        }
      });
    });
  });
}
