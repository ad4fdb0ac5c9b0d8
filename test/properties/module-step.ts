// The check each family property makes of one build's module on one step: the forward (x as
// an array or as a tensor) and the backward against the reference module's, y and dx per
// unit (row, group or plane), dweight and dbias per parameter, with the scales of common.ts.
import { tensor } from "../../src/index.js";
import { backwardScales, forwardScales, take } from "./common.js";
import type { Build } from "./runner.js";
import { checker } from "./tolerance.js";

/** Where each element sits: its normalization unit and the index of its weight / bias. */
export interface UnitLayout {
  readonly units: number;
  readonly unitOf: (i: number) => number;
  readonly params: number;
  readonly paramOf: (i: number) => number;
}

/** What the check needs of a module (LayerNorm, GroupNorm, InstanceNorm*d); their overloads take arrays or tensors. */
interface Differentiable {
  readonly weight: Float32Array | null;
  readonly bias: Float32Array | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  forward(...args: any[]): any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  backward(dy: any): any;
}

/** m (on `build`) against ref on one step; refY is ref's forward of x, mean / invstd the unit statistics used. */
export function checkModuleStep(
  build: Build, where: string, m: Differentiable, ref: Differentiable, refY: Float32Array,
  x: Float32Array, dy: Float32Array, shape: readonly number[], tensors: boolean, u: UnitLayout,
  mean: ArrayLike<number>, invstd: ArrayLike<number>,
): void {
  const check = checker(build.name, where);
  const weightOf = (p: number) => (ref.weight ? ref.weight[p] : 1);
  const biasOf = (p: number) => (ref.bias ? ref.bias[p] : 0);
  const xt = tensors ? tensor(shape, x, { backend: build.backend }) : null;
  const dyt = tensors ? tensor(shape, dy, { backend: build.backend }) : null;
  try {
    const y = take(xt ? m.forward(xt) : m.forward(x, shape));
    const fs = forwardScales(x, u.units, u.unitOf, u.paramOf, mean, invstd, weightOf, biasOf);
    check.units("y", y, refY, u.units, u.unitOf, fs.scale, fs.floor);
    const want = ref.backward(dy);
    const got = dyt ? m.backward(dyt) : m.backward(dy);
    const scales = backwardScales(x, dy, u.units, u.unitOf, u.params, u.paramOf, mean, invstd, weightOf);
    check.units("dx", take(got.dx), want.dx, u.units, u.unitOf, scales.dx, scales.dxFloor);
    check.scalars("dweight", got.dweight, want.dweight, scales.dweight, scales.dweightFloor);
    check.scalars("dbias", got.dbias, want.dbias, scales.dbias);
  } finally {
    xt?.dispose();
    dyt?.dispose();
  }
}
