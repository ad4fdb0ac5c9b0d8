// A CommonJS consumer of the TF.js adapter: `require` of batchnorm-wasm/tfjs.
const { createRequire } = require("node:module");
const { join } = require("node:path");
const { createBackend } = require("batchnorm-wasm");
const { registerTfjsKernels } = require("batchnorm-wasm/tfjs");

const fromRepo = createRequire(join(process.env.BATCHNORM_WASM_REPO, "package.json"));
import("../tfjs-run.js").then(async ({ runAdapter }) => {
  const out = await runAdapter(fromRepo, registerTfjsKernels, createBackend);
  console.log(JSON.stringify({ resolved: require.resolve("batchnorm-wasm/tfjs"), ...out }));
});
