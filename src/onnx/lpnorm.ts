// LpNormalization: x / ||x||_p along one axis, p 1 or 2. No kernel computes an L1 norm or a norm
// along a strided axis, so this is a host loop of its own: one pass for the norms (float64
// sums), one for the quotients.

import { int, output, type OpCall } from "./checks.js";
import type { OpFamily, OpVersion } from "./registry.js";

function lpNormalization(call: OpCall) {
  const x = call.input(0);
  const axis = call.axis(call.number("axis"), x.shape.length, 'attribute "axis"');
  const p = call.choice("p", [1, 2], "the order of the norm: 1 or 2");
  // x as (outer, n, inner): the norm runs over n, inner apart.
  const n = x.shape[axis];
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = x.data.length / (n * inner);
  const y = new Float32Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let sum = 0;
      for (let k = 0; k < n; k++) {
        const v = x.data[base + k * inner];
        sum += p === 1 ? Math.abs(v) : v * v;
      }
      const norm = p === 1 ? sum : Math.sqrt(sum);
      // A zero vector stays zero (as ONNX Runtime), rather than 0 / 0.
      for (let k = 0; k < n; k++) y[base + k * inner] = norm === 0 ? 0 : x.data[base + k * inner] / norm;
    }
  }
  return [output(y, x.shape)];
}

const lp: OpVersion = { inputs: ["input"], attributes: { axis: int(-1), p: int(2) }, outputs: ["output"], run: lpNormalization };

export const LP_NORMALIZATION: OpFamily = {
  domain: "", opType: "LpNormalization",
  versions: { 1: lp, 22: lp }, // 22 widened the types only
};
