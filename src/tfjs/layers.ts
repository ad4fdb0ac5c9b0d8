// createTfjsLayers(tfc, tfl): tf.layers.batchNormalization and tf.layers.layerNormalization
// whose forward and gradient run on this package's kernels.
//
// Each layer class extends TF.js's own (taken from the caller's tfl.layers factory), so its
// constructor, build (the weights: names, order, shapes, initializers, regularizers,
// constraints), getConfig and class name are TF.js's, and only call() is ours: one fused
// forward and one fused backward (fused.ts) where TF.js runs tf.moments, tf.batchNorm and
// autodiff through both. The moving statistics follow tfjs-layers 4.22 exactly:
// moving = moving - (moving - batch) * (1 - momentum), the batch variance biased (tf.moments),
// on every training call. Our classes keep TF.js's class names, so a saved model is TF.js's
// own format, and they take TF.js's place in its serialization map, so tf.loadLayersModel
// builds ours (unregister() puts TF.js's back).

import type { Dims } from "../runtime/backend.js";
import { checkBoolean, checkEps, checkMomentum, describe, fail } from "../runtime/checks.js";
import { backendOption } from "../runtime/default-backend.js";
import { createKernelBackend } from "../runtime/wasm-backend.js";
import { runningUpdate } from "../ops/running.js";
import { applyFused, batchNormFused, layerNormFused } from "./fused.js";
import type { CreateTfjsLayersOptions, TfjsCoreLike, TfjsLayers, TfjsLayersLike, TfjsTensor } from "./types.js";

const WHERE = "createTfjsLayers";
/** The name of the layer made once per factory to find its class (a name of its own: no layer-name counter moves). */
const PROBE = "batchnorm_wasm_probe";

/** A tfjs-layers LayerVariable. */
interface Variable {
  read(): TfjsTensor;
  write(value: TfjsTensor): unknown;
}

type Kwargs = { [key: string]: unknown } | undefined;

/** The members of TF.js's layers that ours read (set by their constructor and build). */
interface StockLayer {
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: Variable | null | undefined;
  beta: Variable | null | undefined;
  call(inputs: TfjsTensor | TfjsTensor[], kwargs: Kwargs): TfjsTensor | TfjsTensor[];
}

interface StockBatchNorm extends StockLayer {
  axis: number;
  momentum: number;
  movingMean: Variable;
  movingVariance: Variable;
}

interface StockLayerNorm extends StockLayer {
  /** An array of non-negative axes once built. */
  axis: number | number[];
}

type LayerClass<T> = (new (config?: object) => T) & { className: string };

/** TF.js's class behind a tfl.layers factory. */
function stockClass<T>(tfl: TfjsLayersLike, factory: "batchNormalization" | "layerNormalization"): LayerClass<T> {
  const make = (tfl.layers as unknown as Record<string, unknown>)[factory];
  if (typeof make !== "function") {
    fail(WHERE, `tfl must be TensorFlow.js layers (@tensorflow/tfjs-layers or @tensorflow/tfjs), with tfl.layers.${factory}; got ${describe(make)}`);
  }
  const cls = (make({ name: PROBE }) as { constructor?: unknown }).constructor as LayerClass<T> | undefined;
  if (typeof cls !== "function" || typeof cls.className !== "string") fail(WHERE, `tfl.layers.${factory} did not make a TF.js layer`);
  return cls;
}

/** The config keys ours read, checked before TF.js's constructor runs (null or absent: TF.js's default). */
function checkConfig(where: string, config: unknown, momentum: boolean, axisArrays: boolean): void {
  if (config === undefined || config === null) return;
  if (typeof config !== "object" || Array.isArray(config)) fail(where, `config must be an object, got ${describe(config)}`);
  const c = config as Record<string, unknown>;
  const integer = (v: unknown) => typeof v === "number" && Number.isInteger(v);
  if (c.axis != null) {
    const ok = axisArrays ? integer(c.axis) || (Array.isArray(c.axis) && c.axis.length > 0 && c.axis.every(integer)) : integer(c.axis);
    if (!ok) fail(where, `axis must be an integer${axisArrays ? " or a non-empty array of integers" : ""}, got ${describe(c.axis)}`);
  }
  if (momentum && c.momentum != null) checkMomentum(where, c.momentum, false);
  if (c.epsilon != null) checkEps(where, c.epsilon, "epsilon");
  for (const key of ["center", "scale"]) if (c[key] != null) checkBoolean(where, key, c[key]);
}

function oneTensor(where: string, inputs: TfjsTensor | TfjsTensor[]): TfjsTensor {
  if (!Array.isArray(inputs)) return inputs;
  if (inputs.length !== 1) fail(where, `expected exactly one input tensor, got ${inputs.length}`);
  return inputs[0];
}

const product = (values: readonly number[]) => values.reduce((a, b) => a * b, 1);
const resolveAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/**
 * Batch norm over `axis` as the kernels' dims: channels last (rows of C) when it is the last
 * axis, else (N, C, S) with N the axes before it and S the ones after.
 */
function channelDims(shape: readonly number[], axis: number): Dims {
  const a = resolveAxis(axis, shape.length);
  const C = shape[a], N = product(shape.slice(0, a)), S = product(shape.slice(a + 1));
  return S === 1 ? { N, C, S: 1, channelsLast: true } : { N, C, S, channelsLast: false };
}

export function createTfjsLayers<L extends TfjsLayersLike>(tfc: TfjsCoreLike, tfl: L, options: CreateTfjsLayersOptions = {}): TfjsLayers<L> {
  if (typeof tfc !== "object" || tfc === null || typeof tfc.customGrad !== "function" || typeof tfc.tidy !== "function" ||
    typeof tfc.tensor !== "function" || typeof tfc.transpose !== "function" || typeof tfc.getBackend !== "function" ||
    typeof tfc.backend !== "function" ||
    typeof tfc.serialization?.SerializationMap?.register !== "function") {
    fail(WHERE, `tfc must be the TensorFlow.js core namespace (with customGrad, tidy, tensor, transpose, getBackend, backend, serialization), got ${describe(tfc)}`);
  }
  if (typeof tfl !== "object" || tfl === null || typeof tfl.layers !== "object" || tfl.layers === null) {
    fail(WHERE, `tfl must be TensorFlow.js layers (@tensorflow/tfjs-layers or @tensorflow/tfjs), got ${describe(tfl)}`);
  }
  if (typeof options !== "object" || options === null) fail(WHERE, `options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) if (key !== "backend") fail(WHERE, `unknown option ${JSON.stringify(key)} (expected backend)`);
  const StockBatchNormalization = stockClass<StockBatchNorm>(tfl, "batchNormalization");
  const StockLayerNormalization = stockClass<StockLayerNorm>(tfl, "layerNormalization");
  const backend = options.backend == null ? createKernelBackend() : backendOption(WHERE, options.backend);

  /** A layer's weight, or the constant it stands for when the layer has none (scale / center false). */
  const param = (v: Variable | null | undefined, on: boolean, size: number, value: number): TfjsTensor =>
    on && v ? v.read() : tfc.tensor(new Float32Array(size).fill(value), [size], "float32");
  const values = (v: Variable) => Float32Array.from(v.read().dataSync());
  const tidy = (fn: () => TfjsTensor) => tfc.tidy(fn as never) as TfjsTensor;
  const transpose = (x: TfjsTensor, perm: number[]) => tfc.transpose(x as never, perm) as TfjsTensor;

  class BatchNormalization extends StockBatchNormalization {
    static override className = StockBatchNormalization.className;

    constructor(config?: object) {
      checkConfig("batchNormalization", config, true, false);
      super(config);
    }

    override call(inputs: TfjsTensor | TfjsTensor[], kwargs: Kwargs): TfjsTensor | TfjsTensor[] {
      const where = "batchNormalization";
      const x = oneTensor(where, inputs);
      if (x.dtype !== "float32") return super.call(inputs, kwargs);
      return tidy(() => {
        const training = kwargs?.training == null ? false : Boolean(kwargs.training);
        const dims = channelDims(x.shape, this.axis);
        const C = dims.C;
        // Copies: the update writes them in place, and a cpu backend's dataSync is its own storage.
        const running = { mean: values(this.movingMean), var: values(this.movingVariance) };
        const forward = training
          ? batchNormFused(backend, where, x.shape, dims, this.epsilon, null,
            { running, ...runningUpdate("keras", this.momentum, 0, dims.N * dims.S) })
          : batchNormFused(backend, where, x.shape, dims, this.epsilon, running, null);
        const y = applyFused(tfc, forward, x, param(this.gamma, this.scale, C, 1), param(this.beta, this.center, C, 0));
        if (training) {
          this.movingMean.write(tfc.tensor(running.mean, [C], "float32"));
          this.movingVariance.write(tfc.tensor(running.var, [C], "float32"));
        }
        return y;
      });
    }
  }

  class LayerNormalization extends StockLayerNormalization {
    static override className = StockLayerNormalization.className;

    constructor(config?: object) {
      checkConfig("layerNormalization", config, false, true);
      super(config);
    }

    override call(inputs: TfjsTensor | TfjsTensor[], kwargs: Kwargs): TfjsTensor | TfjsTensor[] {
      const where = "layerNormalization";
      const x = oneTensor(where, inputs);
      if (x.dtype !== "float32") return super.call(inputs, kwargs);
      return tidy(() => {
        const rank = x.shape.length;
        const axes = (Array.isArray(this.axis) ? this.axis : [this.axis]).map((a) => resolveAxis(a, rank)).sort((a, b) => a - b);
        // The kernels normalize trailing rows: other axes are moved before the normalized ones
        // (in order, which is how TF.js lays its gamma and beta over them).
        const perm = [...[...Array(rank).keys()].filter((i) => !axes.includes(i)), ...axes];
        const moved = perm.some((p, i) => p !== i);
        const xt = moved ? transpose(x, perm) : x;
        const L = product(axes.map((a) => x.shape[a]));
        const forward = layerNormFused(backend, where, xt.shape, product(x.shape) / L, L, this.epsilon);
        const y = applyFused(tfc, forward, xt, param(this.gamma, this.scale, L, 1), param(this.beta, this.center, L, 0));
        return moved ? transpose(y, perm.map((_, i) => perm.indexOf(i))) : y;
      });
    }
  }

  const map = tfc.serialization.SerializationMap;
  const pairs = [[BatchNormalization, StockBatchNormalization], [LayerNormalization, StockLayerNormalization]] as const;
  for (const [ours] of pairs) map.register(ours);
  let live = true;
  return {
    batchNormalization: ((config?: object) => new BatchNormalization(config)) as L["layers"]["batchNormalization"],
    layerNormalization: ((config?: object) => new LayerNormalization(config)) as L["layers"]["layerNormalization"],
    unregister: () => {
      if (!live) return;
      live = false;
      const names = map.getMap().classNameMap;
      // Only what is still ours: a class registered since is left alone.
      for (const [ours, stock] of pairs) {
        if ((names[ours.className] as unknown[] | undefined)?.[0] === ours) map.register(stock);
      }
    },
  };
}
