// `npm run showcase`: trains and evaluates a BatchNorm2d on a
// random batch with the SIMD build, the scalar build and the pure-JS reference, checks they
// agree, and prints timings.
import {
  BatchNorm2d, createBackend, createReferenceBackend, tensor, type Backend,
} from "../src/index.js";

const shape = [16, 32, 28, 28];
const size = shape.reduce((a, b) => a * b, 1);
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const x = Float32Array.from({ length: size }, () => rand() * 3 + 1);
const dy = Float32Array.from({ length: size }, () => rand());

function median(times: number[]): number {
  const s = [...times].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function run(backend: Backend) {
  const bn = new BatchNorm2d(32, { backend });
  const xt = tensor(shape, x, { backend });
  const dyt = tensor(shape, dy, { backend });
  const train: number[] = [], back: number[] = [], infer: number[] = [];
  let y = new Float32Array(), dx = new Float32Array(), yEval = new Float32Array();
  for (let i = 0; i < 7; i++) {
    bn.train();
    let t = performance.now();
    const yt = bn.forward(xt);
    train.push(performance.now() - t);
    t = performance.now();
    const g = bn.backward(dyt);
    back.push(performance.now() - t);
    y = yt.data.slice();
    dx = g.dx.data.slice();
    yt.dispose();
    g.dx.dispose();
    bn.eval();
    t = performance.now();
    const ye = bn.forward(xt);
    infer.push(performance.now() - t);
    yEval = ye.data.slice();
    ye.dispose();
  }
  const result = { y, dx, yEval, runningVar: bn.runningVar!.slice(), train: median(train), back: median(back), infer: median(infer) };
  xt.dispose();
  dyt.dispose();
  bn.dispose();
  return result;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

console.log(`batchnorm-wasm showcase: BatchNorm2d(32) on x of shape [${shape.join(", ")}] (${(size * 4 / 2 ** 20).toFixed(1)} MiB), 7 steps\n`);
const reference = run(createReferenceBackend());
const rows = [["backend", "train fwd ms", "backward ms", "eval fwd ms", "max |y - ref|", "max |dx - ref|", "max |y_eval - ref|"]];
for (const backend of [createBackend({ simd: "auto" }), createBackend({ simd: false })]) {
  const r = run(backend);
  rows.push([
    backend.kind, r.train.toFixed(2), r.back.toFixed(2), r.infer.toFixed(2),
    maxDiff(r.y, reference.y).toExponential(1), maxDiff(r.dx, reference.dx).toExponential(1), maxDiff(r.yEval, reference.yEval).toExponential(1),
  ]);
}
rows.push(["reference", reference.train.toFixed(2), reference.back.toFixed(2), reference.infer.toFixed(2), "-", "-", "-"]);
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i])).join("  "));
const worst = Math.max(...rows.slice(1, 3).flatMap((r) => r.slice(4).map(Number)));
console.log(`\n${worst < 1e-4 ? "OK" : "MISMATCH"}: the wasm builds agree with the float64 reference to ${worst.toExponential(1)}.`);
if (worst >= 1e-4) process.exitCode = 1;
