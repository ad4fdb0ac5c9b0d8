// Runs PyTorch fixture cases through the module API on one backend and returns every number
// the fixture checks, as plain arrays: the same function runs on the page's main thread and
// inside a module Web Worker, so the two can be compared value for value.
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, type Backend } from "../../../src/index.js";
import { initialState, type FixtureCase } from "../../helpers/fixtures.js";

export interface StepResult {
  y: number[];
  dx: number[] | null;
  dweight: number[] | null;
  dbias: number[] | null;
  runningMean: number[] | null;
  runningVar: number[] | null;
  numBatchesTracked: number;
}

const MODULES = { BatchNorm1d, BatchNorm2d, BatchNorm3d };
const list = (a: ArrayLike<number> | null | undefined) => (a ? Array.from(a) : null);

export function runFixture(c: FixtureCase, backend: Backend): StepResult[] {
  const m = new MODULES[c.module](c.numFeatures, { ...c.options, backend });
  m.loadStateDict(initialState(c));
  const out = c.steps.map((step) => {
    m.train(step.mode === "train");
    const y = m.forward(Float32Array.from(step.x), step.shape);
    const g = step.dy ? m.backward(Float32Array.from(step.dy)) : null;
    return {
      y: Array.from(y),
      dx: list(g?.dx),
      dweight: list(g?.dweight),
      dbias: list(g?.dbias),
      runningMean: list(m.runningMean),
      runningVar: list(m.runningVar),
      numBatchesTracked: m.numBatchesTracked,
    };
  });
  m.dispose();
  return out;
}
