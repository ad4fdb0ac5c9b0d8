// MeanVarianceNormalization: (X - mean) / std over `axes`, on the existing statistics. X must
// read as (K, N, C, S): leading kept dims K (independent slices, run one by one), then reduced
// dims N, one block of kept dims C, reduced dims S. Per-channel statistics over N and S are batch
// norm's (training statistics, no parameters), and with nothing reduced before C (N = 1) they are
// layer norm's rows.

import { batchNorm } from "../functional/batchnorm.js";
import { layerNorm } from "../functional/norms.js";
import { ints, output, type OpCall } from "./checks.js";
import type { OpFamily, OpVersion } from "./registry.js";

/**
 * ONNX's function body divides by sqrt(var) + 1e-9; the kernels divide by sqrt(var + eps).
 * eps = 1e-18 = (1e-9)^2 gives the same value where var = 0 (y = 0) and differs from it by at
 * most 1e-9 / std relatively elsewhere: below float32's resolution for any std above ~1e-2.
 */
const MVN_EPS = 1e-18;

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function meanVarianceNormalization(call: OpCall) {
  const x = call.input(0);
  const rank = x.shape.length;
  const given = call.ints("axes");
  if (given.length === 0) call.fail('attribute "axes" must name at least one axis');
  const axes = new Set<number>();
  for (const a of given) {
    const axis = call.axis(a, rank, 'an axis of attribute "axes"');
    if (axes.has(axis)) call.fail(`attribute "axes" ${JSON.stringify(given)} names axis ${axis} twice`);
    axes.add(axis);
  }
  let lead = 0;
  while (!axes.has(lead)) lead++;
  const kept = x.shape.map((_, i) => i).filter((i) => i > lead && !axes.has(i));
  const from = kept.length ? kept[0] : rank, to = kept.length ? kept[kept.length - 1] + 1 : rank;
  if (to - from !== kept.length) {
    call.fail(`attribute "axes" ${JSON.stringify(given)} on rank ${rank}: supported when the axes not reduced are the leading ones and one consecutive block after the first reduced axis (here ${JSON.stringify(kept)} after axis ${lead})`);
  }
  const [K, N, C, S] = [[0, lead], [lead, from], [from, to], [to, rank]].map(([a, b]) => product(x.shape.slice(a, b)));
  const options = { eps: MVN_EPS, backend: call.backend };
  const normalize = (slice: Float32Array) => N === 1
    ? layerNorm(slice, [C, S], [S], options).y
    : batchNorm(slice, [N, C, S], { ...options, training: true }).y;
  if (K === 1) return [output(normalize(x.data), x.shape)];
  const y = new Float32Array(x.data.length), m = N * C * S;
  for (let k = 0; k < K; k++) y.set(normalize(x.data.subarray(k * m, (k + 1) * m)), k * m);
  return [output(y, x.shape)];
}

const mvn: OpVersion = { inputs: ["X"], attributes: { axes: ints([0, 2, 3]) }, outputs: ["Y"], run: meanVarianceNormalization };

export const MEAN_VARIANCE_NORMALIZATION: OpFamily = {
  domain: "", opType: "MeanVarianceNormalization",
  versions: { 9: mvn, 13: mvn }, // 13 widened the types only
};
