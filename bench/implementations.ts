// The implementations a row can be, in the order they are shown, with their labels.
export interface Implementation {
  readonly key: string;
  /** Column / legend label. */
  readonly label: string;
  /** One line for the README: what exactly is timed. */
  readonly what: string;
  /** Threads it runs on (default 1): a row's "vs PyTorch" is against PyTorch at the same count. */
  readonly threads?: number;
}

export const IMPLEMENTATIONS: readonly Implementation[] = [
  { key: "copy", label: "memory.copy floor", what: "one wasm `memory.copy` of x's bytes between two regions of a memory of the bench's own (a tiny module assembled in `bench/wasm/copy.ts`)" },
  { key: "simd-tensor", label: "ours SIMD, zero-copy", what: "module on the SIMD build, `tensor()` handles in and out, outputs disposed each call" },
  { key: "simd-array", label: "ours SIMD, Float32Array", what: "module on the SIMD build, plain Float32Arrays in and out (copied through staging)" },
  { key: "simd-array-out", label: "ours SIMD, Float32Array + out", what: "module on the SIMD build, plain Float32Arrays in, outputs written into the caller's arrays (`forward(x, shape, { out })`, `backward(dy, { dx })`)" },
  { key: "array-floor", label: "Float32Array floor, out", what: "the copies the Float32Array path cannot avoid, alone: each input copied into the backend's memory, each output out into an existing array (`bench/runners/array-floor.ts`); issue 13's limit for `simd-array-out` is 1.15x (`simd-tensor` + this)" },
  { key: "array-alloc-floor", label: "Float32Array floor, new arrays", what: "the same copies with each output copied into a `new Float32Array(n)`; the limit for `simd-array` is 1.15x (`simd-tensor` + this)" },
  { key: "simd-threads2", label: "ours SIMD, 2 threads, zero-copy", what: "module on `createThreadedBackend({ threads: 2 })` (SIMD build), `tensor()` handles in and out: compare with simd-tensor (the same kernels on one thread)", threads: 2 },
  { key: "scalar-tensor", label: "ours scalar, zero-copy", what: "module on the scalar build, tensors in and out" },
  { key: "scalar-array", label: "ours scalar, Float32Array", what: "module on the scalar build, plain Float32Arrays" },
  { key: "simd-wrapper", label: "ours, wrapper only", what: "the zero-copy module call on a backend whose kernels do nothing (same memory and allocator): the wrapper's own cost, target 5" },
  { key: "js-reference", label: "pure JS reference", what: "the package's pure-JS reference backend (float64 accumulation) through the same module, Float32Arrays" },
  { key: "js-naive", label: "pure JS naive loop", what: "a straightforward two-pass loop per channel over Float32Arrays (what one writes by hand)" },
  { key: "tfjs-wasm", label: "TF.js wasm", what: "TensorFlow.js 4.22, wasm backend, 1 thread: `tf.moments` + `tf.batchNorm` (NHWC, 2-D) or moments + broadcast arithmetic (NCHW, no transposes); backward by `tf.valueAndGrads` for x, weight and bias; no running-statistics update" },
  { key: "tfjs-cpu", label: "TF.js cpu", what: "the same TF.js ops on the plain-JS cpu backend" },
  { key: "tfjs-cpu-adapter", label: "TF.js cpu + batchnorm-wasm/tfjs", what: "the tfjs-cpu row's `tf.batchNorm` with `registerTfjsKernels(tf)`: TF.js's FusedBatchNorm on the cpu backend replaced by this package's kernels (inference forward, channels-last workloads)" },
  { key: "tfjs-wasm-adapter", label: "TF.js wasm + batchnorm-wasm/tfjs", what: "the same on the TF.js wasm backend (`backends: [\"wasm\"]`, copying through readSync / write)" },
  { key: "tfjs-cpu-layer", label: "TF.js cpu, tf.layers", what: "`tf.layers.batchNormalization` / `layerNormalization` (tfjs-layers 4.22) on the cpu backend in training: forward with the moving update, backward for x, gamma and beta by autodiff given dy (`tf.engine().gradients`); CNN epoch: one `model.fit` epoch of the digit CNN with these layers" },
  { key: "tfjs-cpu-layer-ours", label: "TF.js cpu, createTfjsLayers", what: "the same with the layers of `createTfjsLayers(tf, tfl)` (batchnorm-wasm/tfjs): one fused forward and one fused backward on this package's kernels through `tf.customGrad`, tensors copied through dataSync / tf.tensor" },
  { key: "tfjs-wasm-layer", label: "TF.js wasm, tf.layers", what: "the tfjs-cpu-layer row on the TF.js wasm backend (1 thread)" },
  { key: "tfjs-wasm-layer-ours", label: "TF.js wasm, createTfjsLayers", what: "the tfjs-cpu-layer-ours row on the TF.js wasm backend (1 thread)" },
  { key: "sync2-simd", label: "SyncBatchNorm, 2 workers", what: "SyncBatchNorm on 2 worker threads (SIMD), the batch split along N, Float32Arrays in and out, driven synchronously from the main thread: compare with simd-array (one module, whole batch, one thread)" },
  { key: "simd-relu-fused", label: "ours SIMD, fused ReLU", what: "module with `activation: \"relu\"` on the SIMD build, zero-copy: batch norm and ReLU in one pass (forward), dy masked inside the backward" },
  { key: "simd-relu-pass", label: "ours SIMD + wasm ReLU pass", what: "the baseline of the fused ReLU, what one runs without it: the plain module zero-copy, then a ReLU pass in wasm over y in place (SIMD, on the backend's memory: `bench/wasm/relu-pass.ts`), and dy masked by y > 0 in wasm before the backward" },
  { key: "torch", label: "PyTorch", what: "PyTorch CPU, `torch.set_num_threads(1)`, `nn.BatchNorm1d/2d` (NHWC = channels_last; training with autograd on, inference under `inference_mode`), run by bench/torch_bench.py" },
  { key: "torch2", label: "PyTorch, 2 threads", what: "the same with `torch.set_num_threads(2)` (training ops): the anchor of the two-thread rows, whose \"vs PyTorch\" is against it", threads: 2 },
];

export function implementation(key: string): Implementation {
  const found = IMPLEMENTATIONS.find((i) => i.key === key);
  if (!found) throw new Error(`bench: unknown implementation ${key}`);
  return found;
}
