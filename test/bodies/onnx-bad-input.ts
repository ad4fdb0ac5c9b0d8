// Bad input to runOnnxNode: an op, opset, attribute, attribute value or input shape it does not
// support gets an Error naming the node ("runOnnxNode (<op> <version>)") and what was wrong,
// thrown before anything ran; the inputs are never written.
import { describe, it, expect } from "../helpers/test-api.js";
import type { Backend } from "../../src/index.js";
import { runOnnxNode, type OnnxNode, type OnnxTensor } from "../../src/onnx/index.js";

const t = (shape: number[], f = (i: number) => Math.sin(i + 1)): OnnxTensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from({ length: n }, (_, i) => f(i)), shape };
};

/** A valid node and inputs of each op, to break one thing at a time. */
const x4 = () => t([2, 6, 3, 2]);
const vec = (n: number) => t([n], (i) => 0.5 + i);
const bn = (attributes = {}, opset = 15): [OnnxNode, (OnnxTensor | null)[]] =>
  [{ opType: "BatchNormalization", opset, attributes }, [x4(), vec(6), vec(6), vec(6), vec(6)]];
const ln = (attributes = {}): [OnnxNode, (OnnxTensor | null)[]] =>
  [{ opType: "LayerNormalization", opset: 17, attributes }, [x4(), vec(2), null]];
const gn = (attributes: Record<string, number> = { num_groups: 3 }, opset = 18): [OnnxNode, (OnnxTensor | null)[]] =>
  [{ opType: "GroupNormalization", opset, attributes }, [x4(), vec(3), vec(3)]];
const mvn = (axes: number[]): [OnnxNode, (OnnxTensor | null)[]] =>
  [{ opType: "MeanVarianceNormalization", opset: 13, attributes: { axes } }, [x4()]];
const skip = (inputs: (OnnxTensor | null)[], opType = "SkipLayerNormalization"): [OnnxNode, (OnnxTensor | null)[]] =>
  [{ opType, domain: "com.microsoft", opset: 1 }, inputs];

export function onnxBadInputSuite(makeBackend: () => Backend): void {
  describe("bad input (runOnnxNode)", () => {
    const backend = makeBackend();
    /** The call throws `pattern`, and no input was written. */
    const refused = ([node, inputs]: [OnnxNode, (OnnxTensor | null)[]], pattern: RegExp) => {
      const before = inputs.map((i) => (i?.data instanceof Float32Array ? i.data.slice() : null));
      expect(() => runOnnxNode(node, inputs, { backend })).toThrow(pattern);
      inputs.forEach((i, k) => before[k] && expect(i!.data).toEqual(before[k]));
    };

    it("the node: op, domain, opset", () => {
      refused([{ opType: "Foo", opset: 17 }, []], /^runOnnxNode: unsupported op Foo \(supported: BatchNormalization, InstanceNormalization, LayerNormalization, .*com\.microsoft\.SkipLayerNormalization/);
      refused([{ opType: "SkipLayerNormalization", opset: 17 }, []], /^runOnnxNode: unsupported op SkipLayerNormalization \(supported:/);
      refused([{ opType: "LayerNormalization", domain: "com.microsoft", opset: 1 }, []], /unsupported op com\.microsoft\.LayerNormalization/);
      refused([{ ...ln()[0], opset: 16 }, ln()[1]], /^runOnnxNode: LayerNormalization at opset 16 is not supported: its first supported version is 17 \(supported: 17\)/);
      refused([{ ...bn()[0], opset: 8 }, bn()[1]], /BatchNormalization at opset 8 is not supported: its first supported version is 9 \(supported: 9, 14, 15\)/);
      refused([{ ...gn()[0], opset: 17 }, gn()[1]], /GroupNormalization at opset 17 is not supported: its first supported version is 18/);
      refused([{ opType: "RMSNormalization", opset: 22 }, [x4(), vec(2)]], /RMSNormalization at opset 22 is not supported: its first supported version is 23/);
      for (const opset of [0, -1, 1.5, "17", null]) {
        refused([{ ...ln()[0], opset: opset as number }, ln()[1]], /^runOnnxNode: node\.opset must be a positive integer \(the model's opset for the node's domain\), got/);
      }
      refused([{ opset: 17 } as OnnxNode, []], /^runOnnxNode: node\.opType must be a string, got undefined/);
      refused([{ ...ln()[0], domain: 1 as never }, ln()[1]], /^runOnnxNode: node\.domain must be a string/);
      expect(() => runOnnxNode(null as never, [])).toThrow(/^runOnnxNode: node must be \{ opType, domain\?, opset, attributes\? \}, got null/);
      // "ai.onnx" is the default domain.
      expect(runOnnxNode({ ...ln()[0], domain: "ai.onnx" }, ln()[1], { backend })).toEqual(runOnnxNode(ln()[0], ln()[1], { backend }));
    });

    it("attributes: unknown names, kinds, required ones", () => {
      refused(bn({ spatial: 1 }, 9), /^runOnnxNode \(BatchNormalization 9\): unsupported attribute "spatial" \(this version has epsilon, momentum\)/);
      refused(bn({ training_mode: 1 }, 13), /^runOnnxNode \(BatchNormalization 9\): unsupported attribute "training_mode"/);
      refused(ln({ epsilon: "1e-5" }), /^runOnnxNode \(LayerNormalization 17\): attribute "epsilon" must be a finite number, got "1e-5"/);
      refused(ln({ epsilon: NaN }), /attribute "epsilon" must be a finite number, got NaN/);
      refused(ln({ axis: 1.5 }), /attribute "axis" must be an integer, got 1\.5/);
      refused(mvn([0.5]), /^runOnnxNode \(MeanVarianceNormalization 13\): attribute "axes" must be an array of integers, got \[0\.5\]/);
      refused(gn({}), /^runOnnxNode \(GroupNormalization 18\): attribute "num_groups" is required/);
      refused([{ ...ln()[0], attributes: [] as never }, ln()[1]], /node\.attributes must be an object/);
    });

    it("attribute values it does not support", () => {
      refused(ln({ stash_type: 11 }), /^runOnnxNode \(LayerNormalization 17\): attribute "stash_type" = 11 is not supported \(1, float32 statistics, is the one supported/);
      refused(gn({ num_groups: 3, stash_type: 0 }, 21), /^runOnnxNode \(GroupNormalization 21\): attribute "stash_type" = 0 is not supported/);
      refused([{ opType: "RMSNormalization", opset: 23, attributes: { stash_type: 16 } }, [x4(), vec(2)]], /attribute "stash_type" = 16 is not supported/);
      refused([{ opType: "LpNormalization", opset: 1, attributes: { p: 3 } }, [x4()]], /^runOnnxNode \(LpNormalization 1\): attribute "p" = 3 is not supported \(the order of the norm: 1 or 2\)/);
      refused(bn({ training_mode: 2 }), /^runOnnxNode \(BatchNormalization 15\): attribute "training_mode" = 2 is not supported \(0: inference, 1: training\)/);
      refused(bn({ training_mode: 1, momentum: 1.5 }), /^runOnnxNode \(BatchNormalization 15\): batchNorm: momentum must be a number in \[0, 1\]/);
      refused(ln({ epsilon: -1 }), /^runOnnxNode \(LayerNormalization 17\): layerNorm: eps must be a finite number >= 0/);
      for (const axis of [4, -5]) refused(ln({ axis }), new RegExp(`attribute "axis" = ${axis} is out of range for input of rank 4 \\(expected -4 \\.\\. 3\\)`));
      refused([{ opType: "LpNormalization", opset: 22, attributes: { axis: 4 } }, [x4()]], /^runOnnxNode \(LpNormalization 22\): attribute "axis" = 4 is out of range/);
      refused(gn({ num_groups: 4 }), /^runOnnxNode \(GroupNormalization 18\): num_groups \(4\) must divide the number of channels C = 6 of input 0, shape \[2,6,3,2\]/);
      refused(gn({ num_groups: 0 }), /attribute "num_groups" must be a positive integer, got 0/);
      refused(mvn([0, 2]), /^runOnnxNode \(MeanVarianceNormalization 13\): attribute "axes" \[0,2\] on rank 4: supported when the axes not reduced are the leading ones and one consecutive block after the first reduced axis \(here \[1,3\] after axis 0\)/);
      refused([mvn([1, 3])[0], [t([2, 6, 3, 2, 2])]], /axes not reduced are the leading ones .* \(here \[2,4\] after axis 1\)/);
      refused(mvn([]), /attribute "axes" must name at least one axis/);
      refused(mvn([2, -2]), /attribute "axes" \[2,-2\] names axis 2 twice/);
      refused(mvn([4]), /an axis of attribute "axes" = 4 is out of range for input of rank 4/);
      // The default axes [0, 2, 3] need rank 4.
      refused([{ opType: "MeanVarianceNormalization", opset: 13 }, [t([2, 3, 4])]], /an axis of attribute "axes" = 3 is out of range for input of rank 3/);
    });

    it("inputs: count, presence, form, shapes", () => {
      refused([bn()[0], bn()[1].slice(0, 4)], /^runOnnxNode \(BatchNormalization 15\): input 4 \(input_var\) is required/);
      refused([ln()[0], [x4(), null]], /^runOnnxNode \(LayerNormalization 17\): input 1 \(Scale\) is required/);
      refused([ln()[0], [x4(), vec(2), null, vec(2)]], /got 4 inputs, this version has 3 \(X, Scale, B\)/);
      expect(() => runOnnxNode(ln()[0], { length: 2 } as never, { backend })).toThrow(/inputs must be an array of \{ data: Float32Array, shape \}/);
      refused([ln()[0], [{ data: new Float64Array(72), shape: [2, 6, 3, 2] } as never, vec(2)]], /input 0 \(X\) must be \{ data: Float32Array, shape: number\[\] \}, got Float64Array\(72\) as its data/);
      refused([ln()[0], [5 as never, vec(2)]], /input 0 \(X\) must be \{ data: Float32Array, shape: number\[\] \}, got 5$/);
      refused([ln()[0], [{ data: new Float32Array(6), shape: "6" } as never, vec(2)]], /input 0 \(X\)'s shape must be an array of positive integers, got "6"/);
      refused([ln()[0], [{ data: new Float32Array(71), shape: [2, 6, 3, 2] }, vec(2)]], /input 0 \(X\) has 71 values, but its shape \[2, 6, 3, 2\] has 72/);
      refused([ln()[0], [{ data: new Float32Array(0), shape: [2, 0] }, vec(2)]], /input 0 \(X\)'s shape\[1\] must be a positive integer, got 0/);
      refused([bn()[0], [x4(), vec(5), vec(6), vec(6), vec(6)]], /^runOnnxNode \(BatchNormalization 15\): input 1 \(scale\) must have shape \[6\] \(one value per channel\), got \[5\]/);
      refused([bn()[0], [x4(), vec(6), vec(6), t([6, 1]), vec(6)]], /input 3 \(input_mean\) must have shape \[6\] \(one value per channel\), got \[6, 1\]/);
      refused([gn()[0], [x4(), vec(6), vec(3)]], /^runOnnxNode \(GroupNormalization 18\): input 1 \(scale\) must have shape \[3\] \(one value per group\), got \[6\]/);
      refused([gn({ num_groups: 3 }, 21)[0], [x4(), vec(3), vec(3)]], /^runOnnxNode \(GroupNormalization 21\): input 1 \(scale\) must have shape \[6\] \(one value per channel\)/);
      refused([ln()[0], [x4(), vec(3), null]], /^runOnnxNode \(LayerNormalization 17\): input 1 \(Scale\) of shape \[3\] does not broadcast to the normalized shape \[2\]/);
      refused([ln({ axis: 1 })[0], [x4(), t([2, 6, 3, 2]), null]], /input 1 \(Scale\) of shape \[2, 6, 3, 2\] does not broadcast to the normalized shape \[6, 3, 2\]/);
      refused([{ opType: "InstanceNormalization", opset: 6 }, [t([6]), vec(6), vec(6)]], /^runOnnxNode \(InstanceNormalization 6\): input 0 must have shape \(N, C, D1, \.\.\.\), got \[6\]/);
      // One value per (sample, channel): nothing to normalize, refused as PyTorch does (groupNorm's check).
      refused([{ opType: "InstanceNormalization", opset: 6 }, [t([1, 6]), vec(6), vec(6)]], /^runOnnxNode \(InstanceNormalization 6\): groupNorm: expected more than one value to normalize/);
      refused([bn({ training_mode: 1 })[0], [t([1, 6]), vec(6), vec(6), vec(6), vec(6)]], /^runOnnxNode \(BatchNormalization 15\): batchNorm: expected more than 1 value per channel when training/);
    });

    it("SkipLayerNormalization / SkipSimplifiedLayerNormalization: ranks and shapes as ONNX Runtime's", () => {
      const x = () => t([2, 3, 4]);
      refused(skip([t([2, 3, 4, 1]), t([2, 3, 4, 1]), vec(1)]), /^runOnnxNode \(com\.microsoft\.SkipLayerNormalization 1\): input 0 \(input\) must have shape \(batch, seq, hidden\) or \(tokens, hidden\), got \[2,3,4,1\]/);
      refused(skip([x(), t([2, 4]), vec(4)]), /input 1 \(skip\) must have input's shape \[2,3,4\], or \(1, seq, hidden\) or \(seq, hidden\), got \[2,4\]/);
      refused(skip([t([3, 4]), t([1, 3, 4]), vec(4)]), /input 1 \(skip\) must have input's shape \[3,4\], got \[1,3,4\]/);
      refused(skip([x(), x(), vec(3)]), /input 2 \(gamma\) must have shape \[4\] \(one value per hidden element\), got \[3\]/);
      refused(skip([x(), x(), vec(4), vec(4), vec(5)]), /input 4 \(bias\) must have shape \[4\]/);
      refused(skip([x(), x(), vec(4), vec(5)], "SkipSimplifiedLayerNormalization"), /^runOnnxNode \(com\.microsoft\.SkipSimplifiedLayerNormalization 1\): input 3 \(bias\) must have shape \[4\]/);
      refused(skip([x(), x(), vec(4), vec(4), vec(4)], "SkipSimplifiedLayerNormalization"), /got 5 inputs, this version has 4 \(input, skip, gamma, bias\)/);
      refused(skip([x(), x()]), /input 2 \(gamma\) is required/);
    });

    it("options: the backend", () => {
      expect(() => runOnnxNode(ln()[0], ln()[1], { backend: {} as never })).toThrow(/^runOnnxNode \(LayerNormalization 17\): backend must come from createBackend\(\) or createReferenceBackend\(\)/);
      expect(() => runOnnxNode(ln()[0], ln()[1], { backend, threads: 2 } as never)).toThrow(/^runOnnxNode \(LayerNormalization 17\): unknown option "threads" \(expected one of backend\)/);
    });
  });
}
