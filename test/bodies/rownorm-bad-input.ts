// Bad input to RMSNorm and the residual add + norm ops: a clear Error naming the call, the
// argument and what was expected, thrown before anything changed (the module keeps its
// state and its last forward; nothing a functional call was given is written).
import { describe, it, expect } from "../helpers/test-api.js";
import {
  RMSNorm, addLayerNorm, addLayerNormBackward, addRmsNorm, addRmsNormBackward, rmsNorm, rmsNormBackward, tensor, type Backend,
} from "../../src/index.js";
import { coreRefusals, expectRefused, ramp, trained } from "./layer-group-instance-bad-input.js";

export function rowNormBadInputSuite(makeBackend: () => Backend): void {
  describe("bad input (RMSNorm, rmsNorm, addLayerNorm, addRmsNorm)", () => {
    const rms = (backend: Backend) => trained(new RMSNorm([3, 4], { backend }), [2, 5, 3, 4]);
    coreRefusals("RMSNorm", rms, makeBackend);

    it("RMSNorm: normalized shape, options, state dict", () => {
      const backend = makeBackend();
      for (const bad of [0, -1, [], [2, 0], "3", [1.5], null]) {
        expect(() => new RMSNorm(bad as never, { backend })).toThrow(/RMSNorm: normalizedShape/);
      }
      for (const bad of [-1e-5, NaN, Infinity, "1e-5"]) {
        expect(() => new RMSNorm(4, { backend, eps: bad as number })).toThrow(/RMSNorm: eps must be a finite number >= 0/);
      }
      expect(new RMSNorm(4, { backend }).eps).toBe(2 ** -23);
      expect(new RMSNorm(4, { backend, eps: null }).eps).toBe(2 ** -23);
      expect(() => new RMSNorm(4, { backend, bias: true } as never)).toThrow(/RMSNorm: unknown option "bias"/);
      expect(() => new RMSNorm(4, { backend, elementwiseAffine: 1 as never })).toThrow(/RMSNorm: elementwiseAffine must be true or false/);
      const s = rms(backend);
      expectRefused(s, () => s.m.forward(ramp(120), [2, 5, 4, 3]), /RMSNorm\.forward: expected x of shape \[\*, 3, 4\] \(ending with normalizedShape\), got x of shape \[2, 5, 4, 3\]/);
      expectRefused(s, () => s.m.loadStateDict({ weight: new Float32Array(4) }), /RMSNorm\.loadStateDict: stateDict\.weight must have length 12 \(one value per element of normalizedShape \[3, 4\]\), got length 4/);
      expectRefused(s, () => s.m.loadStateDict({ weight: new Float32Array(12), bias: new Float32Array(12) }), /unexpected \[bias\]/);
      expect(Object.keys(s.m.stateDict())).toEqual(["weight"]);
      expect(new RMSNorm(4, { backend, elementwiseAffine: false }).stateDict()).toEqual({});
    });

    it("rmsNorm / rmsNormBackward: lengths, saved statistics, options", () => {
      const backend = makeBackend();
      const x = ramp(24);
      const keep = x.slice();
      expect(() => rmsNorm(x, [2, 3, 4], 4, { backend, weight: new Float32Array(3) })).toThrow(/rmsNorm: weight must have length 4 \(one value per element of normalizedShape \[4\]\), got length 3/);
      expect(() => rmsNorm(x, [2, 3, 4], [3], { backend })).toThrow(/rmsNorm: expected x of shape \[\*, 3\]/);
      expect(() => rmsNorm(x, [2, 3, 4], 4, { backend, bias: new Float32Array(4) } as never)).toThrow(/rmsNorm: unknown option "bias"/);
      expect(() => rmsNorm(x, [2, 3, 4], 4, { backend, eps: -1 })).toThrow(/rmsNorm: eps must be a finite number >= 0, got -1/);
      const r = rmsNorm(x, [2, 3, 4], 4, { backend });
      expect(r.saveInvRms.length).toBe(6);
      expect(() => rmsNormBackward(x, x, [2, 3, 4], 4, { backend, saveInvRms: r.saveInvRms.subarray(1) })).toThrow(/rmsNormBackward: saveInvRms must have length 6 \(one value per row\), got length 5/);
      expect(() => rmsNormBackward(x, x, [2, 3, 4], 4, { backend, saveInvRms: [1, 2, 3, 4, 5, 6] as never })).toThrow(/rmsNormBackward: saveInvRms must be a Float64Array of length 6 \(from the forward\), got \[/);
      expect(() => rmsNormBackward(ramp(23), x, [2, 3, 4], 4, { backend })).toThrow(/rmsNormBackward: dy has length 23, but shape \[2, 3, 4\] has 24 elements/);
      expect(() => rmsNormBackward(x, x, [2, 3, 4], 4, { backend, saveMean: r.saveInvRms } as never)).toThrow(/rmsNormBackward: unknown option "saveMean"/);
      expect(x).toEqual(keep);
    });

    it("addLayerNorm / addRmsNorm and their backwards: residual, addBias, dsum, saved statistics", () => {
      const backend = makeBackend();
      const x = ramp(24), residual = ramp(24, 0.9);
      const keep = [x.slice(), residual.slice()];
      for (const [name, call] of [["addLayerNorm", addLayerNorm], ["addRmsNorm", addRmsNorm]] as const) {
        const where = new RegExp(`${name}: residual has length 20, but shape \\[2, 3, 4\\] has 24 elements`);
        expect(() => call(x, ramp(20), [2, 3, 4], 4, { backend })).toThrow(where);
        expect(() => call(x, Array.from(residual) as never, [2, 3, 4], 4, { backend })).toThrow(new RegExp(`${name}: residual must be a Float32Array or a Tensor`));
        expect(() => call(x, residual, [2, 3, 4], 4, { backend, addBias: new Float32Array(3) })).toThrow(new RegExp(`${name}: addBias must have length 4 \\(one value per element of normalizedShape \\[4\\]\\), got length 3`));
        const t = tensor([4, 6], residual, { backend });
        expect(() => call(x, t, [2, 3, 4], 4, { backend })).toThrow(new RegExp(`${name}: shape \\[2, 3, 4\\] does not match the shape of tensor residual, \\[4, 6\\]`));
        const other = tensor([2, 3, 4], residual, { backend: makeBackend() });
        if (other.backend !== backend) expect(() => call(x, other, [2, 3, 4], 4, { backend })).toThrow(new RegExp(`${name}: residual is a tensor of another backend's memory`));
        t.dispose();
        other.dispose();
      }
      expect(() => addRmsNorm(x, residual, [2, 3, 4], 4, { backend, bias: new Float32Array(4) } as never)).toThrow(/addRmsNorm: unknown option "bias"/);
      const r = addLayerNorm(x, residual, [2, 3, 4], 4, { backend });
      expect(() => addLayerNormBackward(x, r.sum, [2, 3, 4], 4, { backend, dsum: ramp(23) })).toThrow(/addLayerNormBackward: dsum has length 23, but shape \[2, 3, 4\] has 24 elements/);
      expect(() => addLayerNormBackward(x, r.sum, [2, 3, 4], 4, { backend, saveInvstd: r.saveInvstd })).toThrow(/addLayerNormBackward: saveMean must be a Float64Array of length 6 \(from the forward\), got undefined; pass both or neither/);
      expect(() => addLayerNormBackward(x, ramp(20), [2, 3, 4], 4, { backend })).toThrow(/addLayerNormBackward: sum has length 20, but shape \[2, 3, 4\] has 24 elements/);
      expect(() => addLayerNormBackward(x, r.sum, [2, 3, 4], 4, { backend, residual } as never)).toThrow(/addLayerNormBackward: unknown option "residual"/);
      const q = addRmsNorm(x, residual, [2, 3, 4], 4, { backend });
      expect(() => addRmsNormBackward(x, q.sum, [2, 3, 4], 4, { backend, saveInvRms: new Float64Array(5) })).toThrow(/addRmsNormBackward: saveInvRms must have length 6 \(one value per row\), got length 5/);
      expect(() => addRmsNormBackward(x, q.sum, [2, 3, 4], [3], { backend })).toThrow(/addRmsNormBackward: expected sum of shape \[\*, 3\] \(ending with normalizedShape\), got sum of shape \[2, 3, 4\]/);
      expect(() => addRmsNormBackward(x, q.sum, [2, 3, 4], 4, { backend, dsum: new Float64Array(24) as never })).toThrow(/addRmsNormBackward: dsum must be a Float32Array or a Tensor/);
      expect([x, residual]).toEqual(keep);
    });
  });
}
