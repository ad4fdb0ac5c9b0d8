// Runs PyTorch fixture cases through the installed package and returns the numbers. The
// package comes in as `lib` so the same code checks the ES module entry, the CommonJS
// entry and the bundled builds. Plain JavaScript: this is what a consumer writes.
export function compute(lib, cases) {
  const MODULES = { BatchNorm1d: lib.BatchNorm1d, BatchNorm2d: lib.BatchNorm2d, BatchNorm3d: lib.BatchNorm3d };
  const list = (a) => (a ? Array.from(a) : null);

  function runCase(c, backend) {
    const m = new MODULES[c.module](c.numFeatures, { ...c.options, backend });
    const sd = {};
    for (const [key, value] of Object.entries(c.init)) sd[key] = typeof value === "number" ? value : Float32Array.from(value);
    m.loadStateDict(sd);
    const steps = c.steps.map((step) => {
      m.train(step.mode === "train");
      const y = m.forward(Float32Array.from(step.x), step.shape);
      const g = step.dy ? m.backward(Float32Array.from(step.dy)) : null;
      return { y: list(y), dx: list(g && g.dx), dweight: list(g && g.dweight), dbias: list(g && g.dbias), runningMean: list(m.runningMean), runningVar: list(m.runningVar) };
    });
    m.dispose();
    return steps;
  }

  const backends = {
    simd: lib.createBackend({ simd: true }),
    scalar: lib.createBackend({ simd: false }),
    reference: lib.createReferenceBackend(),
    default: lib.getDefaultBackend(),
  };
  const builds = {};
  for (const [name, backend] of Object.entries(backends)) {
    builds[name] = { kind: backend.kind, cases: cases.map((c) => runCase(c, backend)) };
  }
  // The zero-copy path as well: a tensor in the kernels' memory through the functional API.
  const c = cases[0];
  const step = c.steps[0];
  const xt = lib.tensor(step.shape, step.x);
  const weight = c.init.weight ? Float32Array.from(c.init.weight) : undefined;
  const bias = c.init.bias ? Float32Array.from(c.init.bias) : undefined;
  const { y } = lib.batchNorm(xt, undefined, { weight, bias, training: true, eps: c.options.eps, layout: c.options.layout });
  const functionalY = Array.from(y.data);
  xt.dispose();
  y.dispose();
  return { exports: Object.keys(lib).filter((k) => k !== "default" && k !== "__esModule").sort(), simdSupported: lib.simdSupported(), builds, functionalY };
}
