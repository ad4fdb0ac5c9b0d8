// The page of test/threads-browser.e2e.test.ts: createThreadedBackend on the main thread of
// a page (isolated: workers from a Blob URL, the bounded spin wait; not isolated: the
// one-thread fallback), a training step against one thread, bit for bit, and its digest for
// the test to hold against Node's.
import { createBackend, createThreadedBackend } from "../../src/index.js";
import { stepDigest } from "./step.js";

(async () => {
  try {
    const backend = await createThreadedBackend({ threads: 2, minElementsPerThread: 1 });
    const two = stepDigest(backend), one = stepDigest(createBackend());
    (window as { __threads?: unknown }).__threads = {
      threads: backend.threads, info: backend.info, same: two === one, digest: two, isolated: crossOriginIsolated,
    };
    backend.dispose();
  } catch (error) {
    (window as { __threads?: unknown }).__threads = { error: String(error) };
  }
})();
