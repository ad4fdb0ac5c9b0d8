// A Node ES module consumer: `import` of the installed package, no configuration.
import * as lib from "batchnorm-wasm";
import { BatchNorm2d } from "batchnorm-wasm";
import { readFileSync } from "node:fs";
import { compute } from "../compute.js";

const cases = JSON.parse(readFileSync(new URL("../fixture.json", import.meta.url), "utf8")).cases;
const named = typeof BatchNorm2d === "function" && BatchNorm2d === lib.BatchNorm2d;
console.log(JSON.stringify({ resolved: import.meta.resolve("batchnorm-wasm"), named, ...compute(lib, cases) }));
