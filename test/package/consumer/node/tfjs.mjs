// An ES module consumer of the TF.js adapter: `import` of batchnorm-wasm/tfjs, TF.js from the
// repository (BATCHNORM_WASM_REPO) so the consumer installs nothing but the tarball.
import { createRequire } from "node:module";
import { join } from "node:path";
import { createBackend } from "batchnorm-wasm";
import { registerTfjsKernels } from "batchnorm-wasm/tfjs";
import { runAdapter } from "../tfjs-run.js";

const fromRepo = createRequire(join(process.env.BATCHNORM_WASM_REPO, "package.json"));
const out = await runAdapter(fromRepo, registerTfjsKernels, createBackend);
console.log(JSON.stringify({ resolved: import.meta.resolve("batchnorm-wasm/tfjs"), ...out }));
