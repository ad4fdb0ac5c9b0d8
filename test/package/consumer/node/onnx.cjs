// A CommonJS consumer of the ONNX nodes: `require` of batchnorm-wasm/onnx.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { createBackend } = require("batchnorm-wasm");
const { runOnnxNode, supportedOnnxOps } = require("batchnorm-wasm/onnx");

const cases = JSON.parse(readFileSync(join(__dirname, "..", "onnx-cases.json"), "utf8"));
import("../onnx-run.js").then(({ runOnnxCases }) => {
  const out = runOnnxCases(runOnnxNode, supportedOnnxOps, createBackend, cases);
  console.log(JSON.stringify({ resolved: require.resolve("batchnorm-wasm/onnx"), ...out }));
});
