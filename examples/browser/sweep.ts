// Node, headless: runs the demo's training comparison (src/comparison.ts, the page's own loop)
// for several seeds and prints both networks' test accuracy every evalEvery steps, the step
// each first reaches TARGET_ACCURACY, and the final accuracies: how the page's setting was
// chosen. Flags override DEMO_SETTING:
//   npx tsx examples/browser/sweep.ts [--seeds 1,2,3] [--steps 300] [--lr 0.03] [--lr-end 0]
//     [--hidden 32,32,32,32] [--batch 64] [--turn 9.42] [--noise 0.2] [--eval-every 20] [--quiet]
import { parseArgs } from "node:util";
import { Comparison, DEMO_SETTING, firstReaching, NETS, TARGET_ACCURACY, type Setting, type Snapshot } from "./src/comparison.js";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "1,2,3,4,5,6,7,8,9,10" },
    steps: { type: "string" }, "eval-every": { type: "string" }, lr: { type: "string" }, "lr-end": { type: "string" },
    batch: { type: "string" }, hidden: { type: "string" }, turn: { type: "string" }, noise: { type: "string" },
    quiet: { type: "boolean", default: false },
  },
});
const nums = (s: string) => s.split(",").map(Number);
const num = (key: keyof typeof values, fallback: number) => (values[key] === undefined ? fallback : Number(values[key]));
const setting: Setting = {
  ...DEMO_SETTING,
  steps: num("steps", DEMO_SETTING.steps),
  evalEvery: num("eval-every", DEMO_SETTING.evalEvery),
  lr: num("lr", DEMO_SETTING.lr),
  lrEnd: num("lr-end", DEMO_SETTING.lrEnd),
  batch: num("batch", DEMO_SETTING.batch),
  hidden: values.hidden ? nums(values.hidden) : DEMO_SETTING.hidden,
  data: { turn: num("turn", DEMO_SETTING.data.turn), noise: num("noise", DEMO_SETTING.data.noise) },
};
console.log(`setting: ${JSON.stringify({ ...setting, seed: undefined })}`);
console.log(`per seed: final test accuracy with / without batch norm; first step at >= ${TARGET_ACCURACY}; ms per training step`);
const fixed = (v: number) => v.toFixed(2);
for (const seed of nums(values.seeds!)) {
  const run = new Comparison({ ...setting, seed });
  const curves: Snapshot[] = [...run.run()];
  const last = curves[curves.length - 1];
  if (!values.quiet) {
    console.log(`seed ${seed} curve (step:bn/plain) ${curves.map((s) => `${s.step}:${fixed(s.withBn.accuracy)}/${fixed(s.withoutBn.accuracy)}`).join(" ")}`);
  }
  const [bn, plain] = NETS.map((key) => ({
    final: last[key].accuracy.toFixed(3),
    first: firstReaching(curves, key) ?? "-",
    ms: fixed(run.spentMs[key] / setting.steps),
  }));
  console.log(`seed ${seed}: final ${bn.final} / ${plain.final}, first at ${bn.first} / ${plain.first}, ms ${bn.ms} / ${plain.ms}`);
  run.dispose();
}
