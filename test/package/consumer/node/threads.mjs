// createThreadedBackend through `import` of the installed package.
import * as lib from "batchnorm-wasm";
import { threadsRun } from "../threads-run.js";

console.log(JSON.stringify(await threadsRun(lib)));
