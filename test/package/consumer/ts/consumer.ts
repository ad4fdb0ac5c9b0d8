// A TypeScript consumer, type-checked (tsc --noEmit) against the shipped declarations under
// several resolutions. The @ts-expect-error lines fail the check if the types were loose
// (any) or missing, so passing means the declarations are really there and enforced.
import {
  BatchNorm2d, batchNorm, batchNormBackward, createBackend, createReferenceBackend, getDefaultBackend, tensor,
  type Backend, type BatchNormStateDict, type Gradients, type Layout, type Tensor,
} from "batchnorm-wasm";
import { registerTfjsKernels, type RegisterTfjsOptions, type TfjsLike } from "batchnorm-wasm/tfjs";
import { runOnnxNode, supportedOnnxOps, type OnnxNode, type OnnxTensor } from "batchnorm-wasm/onnx";

const backend: Backend = createBackend({ simd: "auto" });
const layout: Layout = "NHWC";
const bn = new BatchNorm2d(3, { eps: 1e-5, momentum: 0.1, affine: true, trackRunningStats: true, layout, backend });
const y: Float32Array = bn.forward(new Float32Array(2 * 4 * 4 * 3), [2, 4, 4, 3]);
const g: Gradients<Float32Array> = bn.backward(new Float32Array(y.length));
const dx: Float32Array = g.dx;
const sd: BatchNormStateDict = bn.stateDict();
const t: Tensor = tensor([2, 3], [1, 2, 3, 4, 5, 6], { backend: createReferenceBackend() });
const yt: Tensor = new BatchNorm2d(3).forward(tensor([1, 3, 2, 2]));
const r = batchNorm(new Float32Array(12), [2, 3, 2], { training: true });
const back = batchNormBackward(new Float32Array(12), new Float32Array(12), [2, 3, 2], {
  saveMean: r.saveMean, saveInvstd: r.saveInvstd, training: true,
});
const kind: "simd" | "scalar" | "reference" = getDefaultBackend().kind;
// The out options: the caller's arrays, filled and returned.
const yOut: Float32Array = bn.forward(new Float32Array(96), [2, 4, 4, 3], { out: new Float32Array(96) });
const gOut: Gradients<Float32Array> = bn.backward(yOut, { dx: new Float32Array(96) });

// @ts-expect-error forward takes a Float32Array or a Tensor, not a string
bn.forward("x", [1]);
// @ts-expect-error out is a Float32Array
bn.forward(new Float32Array(96), [2, 4, 4, 3], { out: [0] });
// @ts-expect-error the layout is "NCHW" or "NHWC"
new BatchNorm2d(3, { layout: "CHW" });
// @ts-expect-error simd is a boolean or "auto"
createBackend({ simd: "yes" });

// The TF.js adapter's declarations, without TF.js installed: a structural tf fits.
const tfLike: TfjsLike = { getKernel: () => undefined, registerKernel: () => {}, unregisterKernel: () => {} };
const adapt = (): (() => void) => registerTfjsKernels(tfLike, { backends: ["cpu"], backend });
// @ts-expect-error backends is an array of backend names
const badOptions: RegisterTfjsOptions = { backends: "cpu" };

// The ONNX nodes' declarations.
const node: OnnxNode = { opType: "LayerNormalization", opset: 17, attributes: { axis: -1, epsilon: 1e-5 } };
const outputs: (OnnxTensor | null)[] = runOnnxNode(node, [{ data: new Float32Array(6), shape: [2, 3] }, { data: new Float32Array(3), shape: [3] }, null], { backend });
const versions: number[] = supportedOnnxOps()[0].versions;
// @ts-expect-error an input's data is a Float32Array
runOnnxNode(node, [{ data: [1, 2], shape: [2] }]);
// @ts-expect-error the node needs its opset
const noOpset: OnnxNode = { opType: "LayerNormalization" };

export const used = [dx, sd, t, yt, back, kind, gOut, adapt, badOptions, outputs, versions, noOpset];
