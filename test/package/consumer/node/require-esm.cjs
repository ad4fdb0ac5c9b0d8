// require() of the ES module entry itself (Node 20.19+ / 22: require(esm)). It fails with
// ERR_REQUIRE_ASYNC_MODULE if the entry or anything it imports uses top-level await.
const path = require("node:path");
const entry = path.join(path.dirname(require.resolve("batchnorm-wasm/package.json")), "dist", "index.js");
const lib = require(entry);
const bn = new lib.BatchNorm1d(2);
const y = bn.forward(Float32Array.from([1, 2, 3, 5]), [2, 2]);
console.log(JSON.stringify({ requireModule: process.features.require_module === true, entry, y: Array.from(y) }));
