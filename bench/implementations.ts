// The implementations a row can be, in the order they are shown, with their labels.
export interface Implementation {
  readonly key: string;
  /** Column / legend label. */
  readonly label: string;
  /** One line for the README: what exactly is timed. */
  readonly what: string;
}

export const IMPLEMENTATIONS: readonly Implementation[] = [
  { key: "copy", label: "memory.copy floor", what: "the wasm `memory.copy` of x's bytes between two regions of the SIMD backend's memory" },
  { key: "simd-tensor", label: "ours SIMD, zero-copy", what: "module on the SIMD build, `tensor()` handles in and out, outputs disposed each call" },
  { key: "simd-array", label: "ours SIMD, Float32Array", what: "module on the SIMD build, plain Float32Arrays in and out (copied through staging)" },
  { key: "scalar-tensor", label: "ours scalar, zero-copy", what: "module on the scalar build, tensors in and out" },
  { key: "scalar-array", label: "ours scalar, Float32Array", what: "module on the scalar build, plain Float32Arrays" },
  { key: "simd-wrapper", label: "ours, wrapper only", what: "the zero-copy module call on a backend whose kernels do nothing (same memory and allocator): the wrapper's own cost, target 5" },
  { key: "js-reference", label: "pure JS reference", what: "the package's pure-JS reference backend (float64 accumulation) through the same module, Float32Arrays" },
  { key: "js-naive", label: "pure JS naive loop", what: "a straightforward two-pass loop per channel over Float32Arrays (what one writes by hand)" },
  { key: "tfjs-wasm", label: "TF.js wasm", what: "TensorFlow.js 4.22, wasm backend, 1 thread: `tf.moments` + `tf.batchNorm` (NHWC, 2-D) or moments + broadcast arithmetic (NCHW, no transposes); backward by `tf.valueAndGrads` for x, weight and bias; no running-statistics update" },
  { key: "tfjs-cpu", label: "TF.js cpu", what: "the same TF.js ops on the plain-JS cpu backend" },
  { key: "torch", label: "PyTorch", what: "PyTorch CPU, `torch.set_num_threads(1)`, `nn.BatchNorm1d/2d` (NHWC = channels_last; training with autograd on, inference under `inference_mode`), run by bench/torch_bench.py" },
];

export function implementation(key: string): Implementation {
  const found = IMPLEMENTATIONS.find((i) => i.key === key);
  if (!found) throw new Error(`bench: unknown implementation ${key}`);
  return found;
}
