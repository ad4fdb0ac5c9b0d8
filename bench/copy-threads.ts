// The copy bandwidth one thread and T threads reach on this machine (docs/threads.md's
// scaling model): 98 MiB copied between two regions of a threaded backend's shared memory,
// cut into T equal slices run at once through the backend's own call table (each slice
// a byte copy on its thread). Usage: npx tsx bench/copy-threads.ts [threads...]
import { createThreadedBackend } from "../src/runtime/threads/threaded-backend.js";
import { Program } from "../src/runtime/threads/plans.js";

const BYTES = 64 * 128 * 56 * 56 * 4;
const counts = process.argv.slice(2).map(Number);
for (const T of counts.length ? counts : [1, 2]) {
  const backend = await createThreadedBackend({ threads: Math.max(T, 2) });
  const execute = (backend as unknown as { threadInternals: { execute(p: Program): void } }).threadInternals.execute;
  const src = backend.alloc(BYTES), dst = backend.alloc(BYTES);
  src.f32().fill(1);
  dst.f32().fill(0);
  const program = (): Program => {
    const p = new Program(T);
    for (let t = 0; t < T; t++) {
      const from = Math.floor((t * BYTES) / T / 64) * 64, to = t === T - 1 ? BYTES : Math.floor(((t + 1) * BYTES) / T / 64) * 64;
      p.copy(t, dst.ptr + from, src.ptr + from, to - from);
    }
    return p;
  };
  const times: number[] = [];
  for (let i = 0; i < 25; i++) {
    const start = performance.now();
    execute(program());
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1];
  // A copy reads and writes every byte.
  console.log(`copy of ${(BYTES / 2 ** 20).toFixed(1)} MiB on ${T} thread(s): median ${median.toFixed(2)} ms, ${((2 * BYTES) / median / 1e6).toFixed(1)} GB/s`);
  backend.dispose();
}
