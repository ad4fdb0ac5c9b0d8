// tf.batchNorm on TF.js's cpu backend with and without the adapter, on a backend of ours
// whose memory use shows that our kernels ran.
export async function runAdapter(requireTf, registerTfjsKernels, createBackend) {
  const tf = requireTf("@tensorflow/tfjs-core");
  requireTf("@tensorflow/tfjs-backend-cpu");
  await tf.setBackend("cpu");
  tf.backend().firstUse = false;
  const C = 5;
  const x = tf.tensor(Array.from({ length: 60 }, (_, i) => Math.sin(i) * 3), [3, 4, C]);
  const mean = tf.tensor1d([0.1, -0.2, 0.3, 0, 1]), variance = tf.tensor1d([1, 2, 0.5, 4, 0.25]);
  const offset = tf.tensor1d([0, 1, 2, 3, 4]), scale = tf.tensor1d([1, -1, 0.5, 2, 3]);
  const run = () => Array.from(tf.batchNorm(x, mean, variance, offset, scale, 1e-3).dataSync());
  const original = run();
  const kernel = tf.getKernel("FusedBatchNorm", "cpu");
  const backend = createBackend();
  const unregister = registerTfjsKernels(tf, { backend });
  const adapted = run();
  unregister();
  return { original, adapted, ranOurs: backend.memoryStats().highWaterBytes > 0, restored: tf.getKernel("FusedBatchNorm", "cpu") === kernel };
}
