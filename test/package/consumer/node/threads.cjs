// createThreadedBackend through `require` of the installed package.
const lib = require("batchnorm-wasm");

import("../threads-run.js").then(async ({ threadsRun }) => console.log(JSON.stringify(await threadsRun(lib))));
