// The page: two module Web Workers run SyncBatchNorm on uneven shards of one batch; the
// page compares them with one BatchNorm2d on the whole batch. Then a group whose rank 1
// throws: rank 0's forward must fail naming it. Results go to window.__syncResult.
import { BatchNorm2d, createSyncGroup } from "../../src/index.js";

type Reply = { ok: true; y: Float32Array; dx: Float32Array; dweight: Float32Array; dbias: Float32Array; runningMean: Float32Array; runningVar: Float32Array } | { ok: false; error: string };

const C = 4, S = 25, shards = [3, 5];
const random = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 2 + 0.3 * seed);

function startGroup(throwing: number | null) {
  const group = createSyncGroup({ worldSize: 2, timeoutMs: 20_000 });
  return shards.map((n, rank) => new Promise<Reply>((resolve) => {
    const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    group.watch(worker, rank);
    worker.onmessage = (e: MessageEvent<Reply>) => resolve(e.data);
    worker.addEventListener("error", (e) => {
      e.preventDefault();
      resolve({ ok: false, error: `uncaught: ${e.message}` });
    });
    worker.postMessage({
      handle: group.handle(rank), x: random(n * C * S, rank), dy: random(n * C * S, rank + 10), shape: [n, C, 5, 5],
      throwAtStart: rank === throwing,
    });
  }));
}

const worst = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let scale = 0, err = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
  return a.length === b.length ? err / scale : Infinity;
};
const join = (parts: Float32Array[]) => Float32Array.from(parts.flatMap((p) => Array.from(p)));

async function run() {
  const replies = await Promise.all(startGroup(null));
  const ok = replies.filter((r): r is Extract<Reply, { ok: true }> => r.ok);
  if (ok.length !== 2) return { error: replies.map((r) => (r.ok ? "ok" : r.error)).join("; ") };
  const bn = new BatchNorm2d(C);
  const y = bn.forward(join(shards.map((n, r) => random(n * C * S, r))), [8, C, 5, 5]);
  const g = bn.backward(join(shards.map((n, r) => random(n * C * S, r + 10))));
  const errors = {
    y: worst(join(ok.map((r) => r.y)), y), dx: worst(join(ok.map((r) => r.dx)), g.dx),
    dweight: Math.max(...ok.map((r) => worst(r.dweight, g.dweight!))), dbias: Math.max(...ok.map((r) => worst(r.dbias, g.dbias!))),
    runningMean: Math.max(...ok.map((r) => worst(r.runningMean, bn.runningMean!))), runningVar: Math.max(...ok.map((r) => worst(r.runningVar, bn.runningVar!))),
  };
  const failing = await Promise.all(startGroup(1));
  return { crossOriginIsolated, errors, failure: failing.map((r) => (r.ok ? "ok" : r.error)) };
}

run().then(
  (result) => ((window as unknown as { __syncResult: unknown }).__syncResult = result),
  (error) => ((window as unknown as { __syncResult: unknown }).__syncResult = { error: String(error) }),
);
