// The few parts of TensorFlow.js the adapter touches, as structural types: the subpath's
// declarations need no @tensorflow/* types to compile, and any TF.js 4.x namespace fits.

import type { Backend } from "../runtime/backend.js";

/** A tensor as a kernel sees it. */
export interface TfjsTensorInfo {
  dataId: object;
  shape: number[];
  dtype: TfjsDataType;
}

/** A kernel attribute (TF.js's Attribute). */
export type TfjsAttribute = number | number[] | boolean | boolean[] | string | string[] | { [name: string]: TfjsAttribute };

/** TF.js's DataType. */
export type TfjsDataType = "float32" | "int32" | "bool" | "complex64" | "string";

/** The public KernelBackend methods the adapter calls. */
export interface TfjsKernelBackend {
  /** Elements [start, end) where the backend takes a range (wasm); others answer with the whole tensor. */
  readSync(dataId: object, start?: number, end?: number): ArrayLike<number> | unknown;
  write(values: Float32Array, shape: number[], dtype: TfjsDataType): object;
}

export interface TfjsKernelArgs {
  inputs: Record<string, TfjsTensorInfo | undefined>;
  backend: TfjsKernelBackend;
  attrs?: { [name: string]: TfjsAttribute };
}

/**
 * A kernel registry entry (tf.KernelConfig). Methods, not function-typed properties: their
 * parameters compare bivariantly, so TF.js's own, more precise types fit.
 */
export interface TfjsKernelConfig {
  kernelName: string;
  backendName: string;
  kernelFunc(args: TfjsKernelArgs): TfjsTensorInfo | TfjsTensorInfo[];
  setupFunc?(backend: unknown): void;
  disposeFunc?(backend: unknown): void;
}

/** The registry functions of the `tf` namespace. */
export interface TfjsLike {
  getKernel(kernelName: string, backendName: string): TfjsKernelConfig | undefined;
  registerKernel(config: TfjsKernelConfig): void;
  unregisterKernel(kernelName: string, backendName: string): void;
}

export interface RegisterTfjsOptions {
  /**
   * TF.js backends whose FusedBatchNorm is replaced (default ["cpu"]). "wasm" works too, by
   * copying through the backend's public readSync / write: TF.js's wasm kernel is native
   * code already, so this wins on small and mid-sized tensors and loses on the largest (see
   * docs/embedding.md's measurements). Running in place on TF.js's own wasm memory is not possible
   * through TF.js's public API (see docs/embedding.md).
   */
  backends?: readonly string[];
  /** This package's kernels to run on (default: a fresh createBackend() of the adapter's own). */
  backend?: Backend;
}

// createTfjsLayers: the parts of tfjs-core and tfjs-layers the layers touch.

/** A TF.js tensor (tf.Tensor) as the layers use it. */
export interface TfjsTensor {
  readonly shape: number[];
  readonly dtype: string;
  readonly dataId: object;
  dataSync(): ArrayLike<number>;
}

/** The tfjs-core functions the layers call (`@tensorflow/tfjs-core` or `@tensorflow/tfjs`). */
export interface TfjsCoreLike {
  tensor(values: Float32Array, shape: number[], dtype: "float32"): TfjsTensor;
  /** The active TF.js backend's name. */
  getBackend(): string;
  /** The active TF.js backend (its readSync / write). */
  backend(): TfjsKernelBackend;
  // Typed loosely: TF.js's own signatures are generic over its Tensor (layers.ts and fused.ts cast them once).
  tidy(fn: never): unknown;
  transpose(x: never, perm: number[]): unknown;
  customGrad(f: never): unknown;
  serialization: {
    SerializationMap: {
      register(cls: unknown): void;
      getMap(): { classNameMap: { [className: string]: unknown } };
    };
  };
}

/** The tfjs-layers factories the layers extend (`@tensorflow/tfjs-layers` or `@tensorflow/tfjs`). */
export interface TfjsLayersLike {
  layers: {
    batchNormalization(config?: object): object;
    layerNormalization(config?: object): object;
  };
}

/** What createTfjsLayers returns: tf.layers' own factories' types, building this package's layers. */
export interface TfjsLayers<L extends TfjsLayersLike> {
  /** tf.layers.batchNormalization's config, weights, getConfig and class name; training forward and gradient on this package's kernels. */
  batchNormalization: L["layers"]["batchNormalization"];
  /** tf.layers.layerNormalization's config, weights, getConfig and class name; forward and gradient on this package's kernels. */
  layerNormalization: L["layers"]["layerNormalization"];
  /**
   * Puts TF.js's own BatchNormalization and LayerNormalization back in its serialization map,
   * so tf.loadLayersModel builds the stock layers again (once; later calls do nothing).
   */
  unregister(): void;
}

export interface CreateTfjsLayersOptions {
  /** This package's kernels to run on (default: a fresh createBackend() of the layers' own). */
  backend?: Backend;
}
