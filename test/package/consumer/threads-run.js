// The threaded backend from the installed tarball: a BatchNorm2d training step on two
// threads (the work threshold lowered so this small tensor is cut) against one thread.
export async function threadsRun(lib) {
  const backend = await lib.createThreadedBackend({ threads: 2, minElementsPerThread: 1 });
  const shape = [2, 8, 5, 7], n = 2 * 8 * 5 * 7;
  const step = (b) => {
    const bn = new lib.BatchNorm2d(8, { backend: b });
    const y = bn.forward(Float32Array.from({ length: n }, (_, i) => Math.sin(i)), shape);
    const g = bn.backward(Float32Array.from({ length: n }, (_, i) => Math.cos(i)));
    return [...y, ...g.dx, ...g.dweight, ...g.dbias, ...bn.runningMean, ...bn.runningVar];
  };
  const two = step(backend), one = step(lib.createBackend());
  backend.dispose();
  return { threads: backend.threads, info: backend.info, same: two.length === one.length && two.every((v, i) => Object.is(v, one[i])) };
}
