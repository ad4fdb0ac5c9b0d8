// Swapping TF.js's FusedBatchNorm kernel for this package's, and back.

import { describe, fail } from "../runtime/checks.js";
import { backendOption } from "../runtime/default-backend.js";
import { createKernelBackend } from "../runtime/wasm-backend.js";
import { ChannelsLastEval, type ChannelParams } from "./runner.js";
import type { RegisterTfjsOptions, TfjsKernelArgs, TfjsKernelBackend, TfjsKernelConfig, TfjsLike, TfjsTensorInfo } from "./types.js";

const KERNEL = "FusedBatchNorm";
const WHERE = "registerTfjsKernels";
/** tf.batchNorm's default varianceEpsilon. */
const TF_DEFAULT_EPS = 0.001;

function floats(backend: TfjsKernelBackend, t: TfjsTensorInfo): Float32Array {
  const values = backend.readSync(t.dataId);
  return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
}

/**
 * One parameter as C per-channel values, or null when it is not per channel. TF.js's
 * kernels index a parameter of L values cyclically (element i uses value i mod L), so L = C
 * is exactly one value per channel and L = 1 one value for all; anything else (a
 * full-shape parameter, or one over some spatial axes too) is not.
 */
function perChannel(backend: TfjsKernelBackend, t: TfjsTensorInfo, C: number): Float32Array | null {
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (size !== C && size !== 1) return null;
  const values = floats(backend, t);
  return size === C ? values : new Float32Array(C).fill(values[0]);
}

/** The parameters as per-channel vectors, or null when the call is not one this package's kernels do. */
function channelParams(args: TfjsKernelArgs, C: number): ChannelParams | null {
  const { x, mean, variance, offset, scale } = args.inputs;
  if (!x || !mean || !variance) return null;
  const tensors = [x, mean, variance, offset, scale].filter((t): t is TfjsTensorInfo => t != null);
  if (tensors.some((t) => t.dtype !== "float32")) return null;
  const b = args.backend;
  const p = {
    mean: perChannel(b, mean, C),
    variance: perChannel(b, variance, C),
    offset: offset ? perChannel(b, offset, C) : null,
    scale: scale ? perChannel(b, scale, C) : null,
  };
  if (!p.mean || !p.variance || (offset && !p.offset) || (scale && !p.scale)) return null;
  return p as ChannelParams;
}

/**
 * Replaces TF.js's FusedBatchNorm (the kernel behind tf.batchNorm) on each of `backends`
 * with one that runs this package's inference-mode batch norm: x is channels last (every
 * rank tf.batchNorm takes), mean / variance / offset / scale one value per channel (or one
 * for all). Calls with full-shape (or otherwise non-per-channel) parameters, or non-float32
 * tensors, go to the original kernel. Returns `unregister`, which puts the original kernels
 * back (once; later calls do nothing).
 */
export function registerTfjsKernels(tf: TfjsLike, options: RegisterTfjsOptions = {}): () => void {
  if (typeof tf !== "object" || tf === null || typeof tf.getKernel !== "function" ||
    typeof tf.registerKernel !== "function" || typeof tf.unregisterKernel !== "function") {
    fail(WHERE, `tf must be the TensorFlow.js namespace (with getKernel, registerKernel, unregisterKernel), got ${describe(tf)}`);
  }
  if (typeof options !== "object" || options === null) fail(WHERE, `options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (key !== "backends" && key !== "backend") fail(WHERE, `unknown option ${JSON.stringify(key)} (expected one of backends, backend)`);
  }
  const names = options.backends ?? ["cpu"];
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== "string")) {
    fail(WHERE, `backends must be a non-empty array of TF.js backend names such as ["cpu"], got ${describe(names)}`);
  }
  if (new Set(names).size !== names.length) fail(WHERE, `backends must not repeat a name, got ${describe(names)}`);
  const backend = options.backend == null ? createKernelBackend() : backendOption(WHERE, options.backend);
  const originals = names.map((name) => {
    const original = tf.getKernel(KERNEL, name);
    if (!original) {
      fail(WHERE, `TF.js has no ${KERNEL} kernel for backend ${JSON.stringify(name)}: import its package (e.g. @tensorflow/tfjs-backend-${name}) first`);
    }
    return original;
  });

  const runner = new ChannelsLastEval(backend);
  const replacements = originals.map((original): TfjsKernelConfig => ({
    ...original,
    kernelFunc: (args: TfjsKernelArgs) => {
      const x = args.inputs.x;
      const C = x ? x.shape[x.shape.length - 1] : 0;
      const size = x ? x.shape.reduce((a, b) => a * b, 1) : 0;
      const params = size > 0 ? channelParams(args, C) : null;
      if (!x || params === null) return original.kernelFunc(args);
      const eps = typeof args.attrs?.varianceEpsilon === "number" ? args.attrs.varianceEpsilon : TF_DEFAULT_EPS;
      const y = runner.run(floats(args.backend, x), C, params, eps);
      return { dataId: args.backend.write(y, x.shape.slice(), "float32"), shape: x.shape.slice(), dtype: "float32" };
    },
  }));
  replacements.forEach((config, i) => {
    tf.unregisterKernel(KERNEL, names[i]);
    tf.registerKernel(config);
  });

  let live = true;
  return () => {
    if (!live) return;
    live = false;
    replacements.forEach((config, i) => {
      // Restore only what is still ours: a kernel someone registered since is left alone.
      if (tf.getKernel(KERNEL, names[i])?.kernelFunc !== config.kernelFunc) return;
      tf.unregisterKernel(KERNEL, names[i]);
      tf.registerKernel(originals[i]);
    });
    runner.dispose();
  };
}
