// Every ONNX node case (test/fixtures/onnx.jsonl: ONNX 1.12's own node tests and float64 NumPy
// from the spec text) through runOnnxNode on one backend: each output against the case's, the
// unproduced ones null, the inputs left as given, and the opset resolution (a later opset that
// selects the same version gives the same bits).
import { describe, it, expect } from "../helpers/test-api.js";
import type { Backend } from "../../src/index.js";
import { runOnnxNode, supportedOnnxOps, type OnnxNode, type OnnxTensor } from "../../src/onnx/index.js";
import { expectClose } from "../helpers/compare.js";
import { onnxCases, type OnnxCase } from "../helpers/onnx-fixtures.js";

/** Relative to the largest reference magnitude; the ONNX cases' references are float32 NumPy. */
const TOL = 1e-5;

/** How many outputs each version has in ONNX's schema (BatchNormalization 9: five, 14+: three). */
function outputCount(c: OnnxCase): number {
  const { opType, opset } = c.node;
  if (opType === "BatchNormalization") return opset < 14 ? 5 : 3;
  if (opType === "LayerNormalization") return 3;
  if (opType.startsWith("Skip")) return 4;
  return 1;
}

const inputsOf = (c: OnnxCase): (OnnxTensor | null)[] =>
  c.inputs.map((t) => (t ? { data: Float32Array.from(t.data), shape: t.shape.slice() } : null));

/** The newest opset that still selects the version the case's opset selects. */
function laterOpset(c: OnnxCase): number {
  const op = supportedOnnxOps().find((o) => o.opType === c.node.opType)!;
  const version = op.versions.filter((v) => v <= c.node.opset).pop()!;
  const next = op.versions.find((v) => v > version);
  return next === undefined ? c.node.opset + 5 : next - 1;
}

export function onnxFixtureSuite(makeBackend: () => Backend): void {
  describe("ONNX node cases (runOnnxNode)", () => {
    const backend = makeBackend();
    it.each(onnxCases.map((c) => [`${c.source} ${c.name}`, c] as const))("%s", (_label, c) => {
      const inputs = inputsOf(c);
      const before = inputs.map((t) => t && t.data.slice());
      const node: OnnxNode = { ...c.node, attributes: { ...c.node.attributes } };
      const outputs = runOnnxNode(node, inputs, { backend });
      expect(outputs.length, `${c.name}: outputs in ONNX's schema`).toBe(outputCount(c));
      outputs.forEach((out, i) => {
        const want = c.outputs[i];
        if (!want) {
          expect(out, `${c.name} output ${i}: unproduced`).toBeNull();
          return;
        }
        expect(out!.data, `${c.name} output ${i}: Float32Array`).toBeInstanceOf(Float32Array);
        expect(out!.shape, `${c.name} output ${i} shape`).toEqual(want.shape);
        expectClose(out!.data, want.data, TOL, `${c.name} output ${i}`, `${c.node.opType} output ${i}`);
      });
      inputs.forEach((t, i) => t && expect(t.data, `${c.name}: input ${i} unchanged`).toEqual(before[i]));

      const later = runOnnxNode({ ...node, opset: laterOpset(c) }, inputsOf(c), { backend });
      expect(later, `${c.name}: opset ${laterOpset(c)} selects the same version`).toEqual(outputs);
    });

    it("every node frees the kernel memory it used, refused ones too", () => {
      const live = () => backend.memoryStats().liveBlocks;
      const before = live();
      for (const c of onnxCases) runOnnxNode(c.node, inputsOf(c), { backend });
      expect(() => runOnnxNode({ opType: "BatchNormalization", opset: 15, attributes: { training_mode: 1 } }, [
        { data: new Float32Array(3), shape: [1, 3] }, ...[0, 1, 2, 3].map(() => ({ data: new Float32Array(3), shape: [3] })),
      ], { backend })).toThrow(/expected more than 1 value per channel/);
      expect(live()).toBe(before);
    });

    it("a NaN stays in its row: LayerNormalization, RMSNormalization, LpNormalization, the contrib ops", () => {
      const H = 8, shape = [3, 4, H];
      const x = Float32Array.from({ length: 96 }, (_, i) => Math.sin(i * 0.7) * 2 + 0.5);
      const poisoned = x.slice();
      poisoned[5 * H + 3] = NaN; // row 5
      const w = { data: Float32Array.from({ length: H }, (_, i) => 1 + i / 8), shape: [H] };
      const nodes: [OnnxNode, (t: OnnxTensor) => (OnnxTensor | null)[]][] = [
        [{ opType: "LayerNormalization", opset: 17 }, (t) => [t, w, null]],
        [{ opType: "RMSNormalization", opset: 23 }, (t) => [t, w]],
        [{ opType: "LpNormalization", opset: 1, attributes: { p: 1 } }, (t) => [t]],
        [{ opType: "SkipLayerNormalization", domain: "com.microsoft", opset: 1 }, (t) => [t, { data: x, shape }, w]],
        [{ opType: "SkipSimplifiedLayerNormalization", domain: "com.microsoft", opset: 1 }, (t) => [t, { data: x, shape }, w]],
      ];
      for (const [node, inputs] of nodes) {
        const clean = runOnnxNode(node, inputs({ data: x, shape }), { backend });
        const dirty = runOnnxNode(node, inputs({ data: poisoned, shape }), { backend });
        dirty.forEach((out, k) => {
          if (!out) return;
          const per = out.data.length / 12; // values per row: H, or 1 for the statistics
          // input_skip_bias_sum is elementwise: only the poisoned value itself.
          const hit = (i: number) => (k === 3 ? i === 5 * H + 3 : Math.floor(i / per) === 5);
          out.data.forEach((v, i) => {
            const where = `${node.opType} output ${k} [${i}]`;
            if (hit(i)) expect(Number.isNaN(v), where).toBe(true);
            else expect(Object.is(v, clean[k]!.data[i]), where).toBe(true);
          });
        });
      }
    });

    it("the cases cover every op and version runOnnxNode supports", () => {
      const covered = new Set(onnxCases.map((c) => {
        const op = supportedOnnxOps().find((o) => o.opType === c.node.opType)!;
        return `${c.node.opType} ${op.versions.filter((v) => v <= c.node.opset).pop()}`;
      }));
      const all = supportedOnnxOps().flatMap((o) => o.versions.map((v) => `${o.opType} ${v}`));
      expect(all.filter((v) => !covered.has(v))).toEqual([]);
    });
  });
}
