// An ES module consumer of the ONNX nodes: `import` of batchnorm-wasm/onnx, with a backend of the root entry.
import { readFileSync } from "node:fs";
import { createBackend } from "batchnorm-wasm";
import { runOnnxNode, supportedOnnxOps } from "batchnorm-wasm/onnx";
import { runOnnxCases } from "../onnx-run.js";

const cases = JSON.parse(readFileSync(new URL("../onnx-cases.json", import.meta.url), "utf8"));
const out = runOnnxCases(runOnnxNode, supportedOnnxOps, createBackend, cases);
console.log(JSON.stringify({ resolved: import.meta.resolve("batchnorm-wasm/onnx"), ...out }));
