import { Worker } from "node:worker_threads";
import { createSyncGroup } from "../../src/index.js";

// Where the workers are started: one group, one handle per worker, and a watch on each.
const group = createSyncGroup({ worldSize: 2, timeoutMs: 30_000 });
const results = await Promise.all([0, 1].map((rank) => new Promise((resolve, reject) => {
  const worker = new Worker(new URL("./sync-worker.mjs", import.meta.url), { workerData: { group: group.handle(rank) } });
  group.watch(worker, rank);    // a worker that throws or exits breaks the group: its peers fail at once
  worker.on("message", resolve);
  worker.on("error", reject);
})));
console.log(results);
