// A browser consumer, bundled as is by Vite and by webpack 5 (no plugins, no loaders): the
// package on the main thread, then in a module Web Worker; both results go to
// window.__consumerResult for the test to read.
import * as lib from "batchnorm-wasm";
import fixture from "../fixture.json";
import { compute } from "../compute.js";

function runWorker() {
  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event) => (event.data.error ? reject(new Error(event.data.error)) : resolve(event.data));
    worker.onerror = (event) => reject(new Error(`worker error: ${event.message}`));
  });
}

async function main() {
  const status = document.getElementById("status");
  try {
    const mainThread = { isWorker: false, ...compute(lib, fixture.cases) };
    const worker = await runWorker();
    window.__consumerResult = { main: mainThread, worker };
    status.textContent = `done: main thread ${mainThread.builds.default.kind}, worker ${worker.builds.default.kind}`;
  } catch (error) {
    window.__consumerResult = { error: String(error && error.stack ? error.stack : error) };
    status.textContent = `failed: ${error}`;
  }
}
main();
