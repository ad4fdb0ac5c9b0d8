// Every PyTorch fixture of layer, group and instance norm, through the modules (copy path and
// zero-copy path) and the functional API, on one backend.
import { describe, it, expect } from "../helpers/test-api.js";
import {
  GroupNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LayerNorm, groupNorm, groupNormBackward, instanceNorm,
  instanceNormBackward, layerNorm, layerNormBackward, tensor, type Backend, type NormResult, type Gradients, type Tensor,
} from "../../src/index.js";
import { expectClose } from "../helpers/compare.js";
import {
  layerGroupInstanceCases, layerGroupInstanceInitialState, opOf, type LayerGroupInstanceCase, type LayerGroupInstanceStep, type InstanceNormCase,
} from "../helpers/layer-group-instance-fixtures.js";

/** y, dx, dweight, dbias: relative to the largest reference magnitude. */
export const TOL = 1e-4;
/** Running statistics. */
export const TOL_RUNNING = 1e-5;

const INSTANCE = { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d };

type Outputs = { y?: ArrayLike<number>; dx?: ArrayLike<number>; dweight?: ArrayLike<number> | null; dbias?: ArrayLike<number> | null };

function checkStep(op: string, label: string, step: LayerGroupInstanceStep, out: Outputs, expectParams: boolean) {
  expectClose(out.y, step.y, TOL, `${label} y`, `${op} y`);
  expectClose(out.dx, step.dx, TOL, `${label} dx`, `${op} dx`);
  if (step.dweight) expectClose(out.dweight, step.dweight, TOL, `${label} dweight`, `${op} dweight`);
  else if (expectParams) expect(out.dweight ?? null, `${label}: no dweight expected`).toBeNull();
  if (step.dbias) expectClose(out.dbias, step.dbias, TOL, `${label} dbias`, `${op} dbias`);
  else if (expectParams) expect(out.dbias ?? null, `${label}: no dbias expected`).toBeNull();
}

function checkRunning(op: string, label: string, step: LayerGroupInstanceStep, mean: Float32Array | null, variance: Float32Array | null) {
  if (!step.running_mean) {
    expect(mean, `${label}: no running statistics expected`).toBeNull();
    return;
  }
  expectClose(mean, step.running_mean, TOL_RUNNING, `${label} running_mean`, `${op} running_mean`);
  expectClose(variance, step.running_var!, TOL_RUNNING, `${label} running_var`, `${op} running_var`);
}

function makeModule(c: LayerGroupInstanceCase, backend: Backend) {
  let m: LayerNorm | GroupNorm | InstanceNorm1d;
  if (c.module === "LayerNorm") m = new LayerNorm(c.args.normalizedShape, { ...c.options, backend });
  else if (c.module === "GroupNorm") m = new GroupNorm(c.args.numGroups, c.args.numChannels, { ...c.options, backend });
  else m = new INSTANCE[c.module](c.args.numFeatures, { ...c.options, backend });
  m.loadStateDict(layerGroupInstanceInitialState(c));
  return m;
}

function running(m: LayerNorm | GroupNorm | InstanceNorm1d): [Float32Array | null, Float32Array | null] {
  return "runningMean" in m ? [m.runningMean, m.runningVar] : [null, null];
}

/** The functional call of one step; running statistics (instance norm) are updated in place. */
function functionalStep(
  c: LayerGroupInstanceCase, step: LayerGroupInstanceStep, backend: Backend, runningStats: { mean: Float32Array; var: Float32Array } | null, recompute: boolean,
): Outputs {
  const init = layerGroupInstanceInitialState(c);
  const x = Float32Array.from(step.x), dy = Float32Array.from(step.dy);
  const weight = init.weight ?? null, bias = init.bias ?? null;
  const eps = c.options.eps;
  const saved = (r: NormResult<Float32Array>) => (recompute ? {} : { saveMean: r.saveMean, saveInvstd: r.saveInvstd });
  let r: NormResult<Float32Array>, g: Gradients<Float32Array>;
  if (c.module === "LayerNorm") {
    const ns = c.args.normalizedShape;
    r = layerNorm(x, step.shape, ns, { weight, bias, eps, backend });
    g = layerNormBackward(dy, x, step.shape, ns, { weight, eps, backend, ...saved(r) });
  } else if (c.module === "GroupNorm") {
    const layout = c.options.layout;
    r = groupNorm(x, step.shape, c.args.numGroups, { weight, bias, eps, layout, backend });
    g = groupNormBackward(dy, x, step.shape, c.args.numGroups, { weight, eps, layout, backend, ...saved(r) });
  } else {
    const o = c.options;
    // The functional API takes (N, C, *): an unbatched fixture is one sample.
    const batched = step.shape.length === Number(c.module[12]) + 2;
    const shape = batched ? step.shape : [1, ...step.shape];
    const useInputStats = step.mode === "train" || !o.trackRunningStats;
    const stats = { runningMean: runningStats?.mean ?? null, runningVar: runningStats?.var ?? null };
    const layout = o.layout;
    r = instanceNorm(x, shape, { weight, bias, ...stats, useInputStats, momentum: o.momentum, eps, layout, backend });
    g = instanceNormBackward(dy, x, shape, { weight, useInputStats, ...stats, eps, layout, backend, ...(useInputStats ? saved(r) : {}) });
  }
  return { y: r.y, dx: g.dx, dweight: g.dweight, dbias: g.dbias };
}

export function layerGroupInstanceFixtureSuite(makeBackend: () => Backend): void {
  describe.each(layerGroupInstanceCases.map((c) => [c.name, c] as const))("fixture %s", (_name, c) => {
    const op = opOf(c);

    it("module, Float32Array in and out", () => {
      const m = makeModule(c, makeBackend());
      c.steps.forEach((step, i) => {
        const label = `${c.name} step ${i + 1} (${step.mode})`;
        m.train(step.mode === "train");
        const y = m.forward(Float32Array.from(step.x), step.shape);
        const g = m.backward(Float32Array.from(step.dy));
        checkStep(op, label, step, { y, ...g }, true);
        checkRunning(op, label, step, ...running(m));
        if (step.num_batches_tracked !== undefined) {
          expect((m as InstanceNorm1d).numBatchesTracked, `${label} num_batches_tracked`).toBe(step.num_batches_tracked);
        }
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
        const dy = tensor(step.shape, step.dy, { backend });
        const g = m.backward(dy);
        const dx: Tensor = g.dx;
        expect(dx.shape).toEqual(step.shape);
        checkStep(op, label, step, { y: y.data, dx: dx.data, dweight: g.dweight, dbias: g.dbias }, true);
        checkRunning(op, label, step, ...running(m));
        for (const t of [x, y, dy, dx]) t.dispose();
      });
      m.dispose();
    });

    it("functional API (saved statistics, then recomputed ones)", () => {
      const backend = makeBackend();
      const init = layerGroupInstanceInitialState(c);
      const track = c.module.startsWith("Instance") && (c as InstanceNormCase).options.trackRunningStats;
      const stats = track ? { mean: init.running_mean!, var: init.running_var! } : null;
      c.steps.forEach((step, i) => {
        const label = `${c.name} step ${i + 1} (${step.mode}, functional)`;
        const out = functionalStep(c, step, backend, stats, i % 2 === 1);
        checkStep(op, label, step, out, false);
        if (stats) checkRunning(op, label, step, stats.mean, stats.var);
      });
    });
  });
}
