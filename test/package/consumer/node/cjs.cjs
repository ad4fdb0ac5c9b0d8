// A Node CommonJS consumer: `require` of the installed package, no configuration.
const lib = require("batchnorm-wasm");
const { BatchNorm2d } = require("batchnorm-wasm");
const cases = require("../fixture.json").cases;

import("../compute.js").then(({ compute }) => {
  const named = typeof BatchNorm2d === "function" && BatchNorm2d === lib.BatchNorm2d;
  console.log(JSON.stringify({ resolved: require.resolve("batchnorm-wasm"), named, ...compute(lib, cases) }));
});
