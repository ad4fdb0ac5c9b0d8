// The wasm kernels against the pure-JS reference (float64 throughout, itself checked
// against PyTorch by the fixtures) on inputs the fixtures are too small to reach: runs
// longer than a statistics piece, odd lengths, pilots far from the mean, constant rows.
import { describe, it } from "../helpers/test-api.js";
import {
  GroupNorm, InstanceNorm2d, LayerNorm, createReferenceBackend, groupNorm, instanceNorm, layerNorm, type Backend,
} from "../../src/index.js";
import { expectClose } from "../helpers/compare.js";

const TOL = 1e-4;

/** Deterministic standard normal values (Box-Muller over an LCG). */
function normals(seed: number, n: number): Float64Array {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) + 1) / 2147483649;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

interface KernelCase {
  name: string;
  make: (backend: Backend) => LayerNorm | GroupNorm | InstanceNorm2d;
  shape: number[];
  x: (i: number, z: number, size: number) => number;
  /** Tolerance of y and dx when tighter than TOL. */
  tol?: number;
}

const CASES: KernelCase[] = [
  {
    // Two and a half pieces per row, each half at its own level: each piece's pilot (the mean
    // so far) is many standard deviations off.
    name: "LayerNorm rows of 5000 at 1e4 with a step between halves",
    make: (backend) => new LayerNorm(5000, { backend }), shape: [3, 5000],
    x: (i, z) => 1e4 + ((i % 5000) >= 2500 ? 0.05 : 0) + 1e-2 * z,
  },
  {
    // The first 16 values of each row (the first pilot) are far outliers: one-pass sums around
    // that pilot would lose about 1e-5 here, so y and dx are held to 2e-6 (the re-centering
    // pass brings them to about 2e-7).
    name: "LayerNorm rows of 2048 whose first values are outliers",
    make: (backend) => new LayerNorm(2048, { backend }), shape: [4, 2048],
    x: (i, z) => ((i % 2048) < 16 ? 1000 : 0) + z, tol: 2e-6,
  },
  {
    name: "LayerNorm odd lengths (13 and 3 * 7 * 49)",
    make: (backend) => new LayerNorm([3, 7, 49], { backend }), shape: [3, 3, 7, 49],
    x: (i, z) => 3 + 2 * z + (i % 13) * 0.1,
  },
  { name: "LayerNorm rows of 13", make: (backend) => new LayerNorm(13, { backend }), shape: [7, 13], x: (_i, z) => 0.5 + z },
  {
    name: "GroupNorm (3, 6, 37, 41) in 3 groups: runs of 3034, odd planes",
    make: (backend) => new GroupNorm(3, 6, { backend }), shape: [3, 6, 37, 41],
    x: (i, z) => 1e3 + Math.floor(i / 1517) + 0.1 * z,
  },
  {
    // An image-like plane: a smooth ramp plus noise, so every piece's pilot lags its mean.
    name: "InstanceNorm2d (2, 3, 70, 70): ramps across planes of 4900",
    make: (backend) => new InstanceNorm2d(3, { backend, affine: true }), shape: [2, 3, 70, 70],
    x: (i, z) => 10 * ((i % 4900) / 4900) + 0.01 * z,
  },
  {
    name: "constant rows (zero variance)",
    make: (backend) => new LayerNorm(40, { backend }), shape: [3, 40],
    x: (i) => Math.floor(i / 40) * 7 - 3,
  },
];

export function layerGroupInstanceKernelSuite(makeBackend: () => Backend): void {
  if (makeBackend().kind === "reference") return; // these compare the kernels with the reference itself
  describe("kernels against the float64 reference (beyond the fixtures)", () => {
    it.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
      const size = c.shape.reduce((a, b) => a * b, 1);
      const z = normals(size, size);
      const x = Float32Array.from({ length: size }, (_, i) => c.x(i, z[i], size));
      const dy = Float32Array.from(normals(7, size), (v) => v);
      const run = (backend: Backend) => {
        const m = c.make(backend);
        if (m.weight) m.weight.set(Array.from({ length: m.weight.length }, (_, i) => 1 + 0.3 * Math.sin(i)));
        if (m.bias) m.bias.set(Array.from({ length: m.bias.length }, (_, i) => 0.2 * Math.cos(i)));
        const y = m.forward(x, c.shape);
        return { y, ...m.backward(dy) };
      };
      const got = run(makeBackend());
      const want = run(createReferenceBackend());
      const tol = c.tol ?? TOL;
      expectClose(got.y, want.y, tol, `${c.name} y`, "kernels vs reference y");
      expectClose(got.dx, want.dx, tol, `${c.name} dx`, "kernels vs reference dx");
      if (want.dweight) expectClose(got.dweight, want.dweight, TOL, `${c.name} dweight`, "kernels vs reference dweight");
      if (want.dbias) expectClose(got.dbias, want.dbias, TOL, `${c.name} dbias`, "kernels vs reference dbias");
    });

    it("functional ops with a bias but no weight, or a weight but no bias", () => {
      const size = 2 * 6 * 35;
      const x = Float32Array.from(normals(3, size), (v, i) => 2 * v + (i % 7));
      const bias35 = Float32Array.from({ length: 35 }, (_, i) => Math.sin(i));
      const weight6 = Float32Array.from({ length: 6 }, (_, i) => 1 + 0.1 * i);
      const run = (backend: Backend) => [
        layerNorm(x, [2, 6, 35], 35, { bias: bias35, backend }).y,
        layerNorm(x, [2, 6, 35], 35, { weight: bias35, backend }).y,
        groupNorm(x, [2, 6, 35], 3, { weight: weight6, backend }).y,
        groupNorm(x, [2, 6, 35], 3, { bias: weight6, backend }).y,
        instanceNorm(x, [2, 6, 35], { weight: weight6, backend }).y,
      ];
      const got = run(makeBackend()), want = run(createReferenceBackend());
      want.forEach((w, i) => expectClose(got[i], w, 1e-6, `functional variant ${i}`));
    });
  });
}
