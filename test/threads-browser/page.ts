// The page of test/threads-browser.e2e.test.ts: createThreadedBackend on the main thread of
// a page (isolated: workers from a Blob URL, the bounded spin wait; not isolated: the
// one-thread fallback), a training step against one thread, bit for bit.
import { BatchNorm2d, createBackend, createThreadedBackend, type Backend } from "../../src/index.js";

function step(backend: Backend): number[] {
  const shape = [2, 8, 9, 7], n = 2 * 8 * 9 * 7;
  const bn = new BatchNorm2d(8, { backend });
  const y = bn.forward(Float32Array.from({ length: n }, (_, i) => Math.sin(i)), shape);
  const g = bn.backward(Float32Array.from({ length: n }, (_, i) => Math.cos(i)));
  return [...y, ...g.dx, ...g.dweight!, ...g.dbias!, ...bn.runningMean!, ...bn.runningVar!];
}

(async () => {
  try {
    const backend = await createThreadedBackend({ threads: 2, minElementsPerThread: 1 });
    const two = step(backend), one = step(createBackend());
    const same = two.length === one.length && two.every((v, i) => Object.is(v, one[i]));
    (window as { __threads?: unknown }).__threads = { threads: backend.threads, info: backend.info, same, isolated: crossOriginIsolated };
    backend.dispose();
  } catch (error) {
    (window as { __threads?: unknown }).__threads = { error: String(error) };
  }
})();
