// `npm start`: the MNIST experiment of Ioffe and Szegedy (2015), section 4.1 and Figure 1.
// Trains the same sigmoid network with and without BatchNorm1d on real digits, prints the
// steps-vs-accuracy table, where the time went and a verdict, repeats a shorter run at a
// learning rate several times higher, and writes out/mnist-bn.json and out/mnist-bn.svg.
//
//   npx tsx examples/mnist/main.ts [--steps N] [--quick] [--lr X] [--every K] [--seed S] [--out DIR] [--serial]

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { getDefaultBackend } from "../../src/index.js";
import { renderFigure } from "./chart.js";
import { loadSplit } from "./data.js";
import { Progress } from "./progress.js";
import { accuracyTable, buildDocument, timingLines, verdict } from "./report.js";
import { runExperimentParallel } from "./parallel.js";
import { DEFAULTS, runExperiment, type RunResult } from "./train.js";

export interface Settings {
  steps: number;
  every: number;
  lr: number;
  seed: number;
  out: string;
  /** The second run's learning rate is lr times this, for highSteps steps. */
  highLrFactor: number;
  highSteps: number;
  /** Both networks on this thread instead of one thread each. */
  serial: boolean;
}

export const DEFAULT_SETTINGS: Settings = { steps: 3000, every: 50, lr: 0.3, seed: 1, out: "out", highLrFactor: 5, highSteps: 1000, serial: false };
const QUICK: Partial<Settings> = { steps: 600, every: 25, highSteps: 300 };

const USAGE = `usage: npm start -- [--steps N] [--quick] [--lr X] [--every K] [--seed S] [--out DIR] [--serial]
  --steps N   training steps (minibatches of ${DEFAULTS.batchSize}) of the main run (default ${DEFAULT_SETTINGS.steps})
  --quick     a short run: ${QUICK.steps} steps, recorded every ${QUICK.every}, high-learning-rate run ${QUICK.highSteps} steps
  --lr X      learning rate of both networks (default ${DEFAULT_SETTINGS.lr}); the second run uses ${DEFAULT_SETTINGS.highLrFactor}x this
  --every K   record held-out accuracy and percentiles every K steps (default ${DEFAULT_SETTINGS.every})
  --seed S    seeds the split, the initial weights and the batch order (default ${DEFAULT_SETTINGS.seed})
  --out DIR   where mnist-bn.json and mnist-bn.svg go (default ${DEFAULT_SETTINGS.out})
  --serial    train both networks on this thread (default: one worker thread each; same numbers)`;

/** Settings from command-line arguments; throws with the usage on anything it does not know. */
export function parseArgs(argv: readonly string[]): Settings | "help" {
  const s = { ...DEFAULT_SETTINGS };
  let stepsGiven = false, everyGiven = false;
  const positiveInt = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} expects a positive integer, got ${v ?? "nothing"}\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case "--help": case "-h": return "help";
      case "--quick": Object.assign(s, { ...QUICK, ...(stepsGiven ? { steps: s.steps } : {}), ...(everyGiven ? { every: s.every } : {}) }); break;
      case "--steps": s.steps = positiveInt(flag, argv[++i]); stepsGiven = true; break;
      case "--every": s.every = positiveInt(flag, argv[++i]); everyGiven = true; break;
      case "--seed": s.seed = Number(argv[++i]); if (!Number.isInteger(s.seed)) throw new Error(`--seed expects an integer\n${USAGE}`); break;
      case "--lr": s.lr = Number(argv[++i]); if (!(s.lr > 0)) throw new Error(`--lr expects a positive number\n${USAGE}`); break;
      case "--serial": s.serial = true; break;
      case "--out": s.out = argv[++i] ?? ""; if (!s.out) throw new Error(`--out expects a directory\n${USAGE}`); break;
      default: throw new Error(`unknown argument ${flag}\n${USAGE}`);
    }
  }
  // A shorter main run keeps the second run in proportion (a third of it, as in the default).
  if (stepsGiven) s.highSteps = Math.max(1, Math.round(s.steps / 3));
  return s;
}

async function run(label: string, data: ReturnType<typeof loadSplit>, options: { steps: number; every: number; lr: number; seed: number }, serial: boolean): Promise<RunResult> {
  const progress = new Progress(`${label}, ${options.steps.toLocaleString("en-US")} steps`);
  const onProgress = (f: number) => progress.update(f);
  return serial ? runExperiment(data, options, onProgress) : runExperimentParallel(data, options, onProgress);
}

export async function main(argv: readonly string[]): Promise<void> {
  const settings = parseArgs(argv);
  if (settings === "help") {
    console.log(USAGE);
    return;
  }
  const { steps, every, lr, seed, out, highLrFactor, highSteps, serial } = settings;
  const started = performance.now();
  const data = loadSplit(seed);
  const loadMs = performance.now() - started;
  const backend = getDefaultBackend();
  console.log(`Batch normalization on MNIST (Ioffe & Szegedy 2015, section 4.1): ${data.train.count.toLocaleString("en-US")} training / ` +
    `${data.test.count.toLocaleString("en-US")} held-out digits (seeded random split), 784-100-100-100-10 sigmoid network, ` +
    `minibatch ${DEFAULTS.batchSize}, plain SGD at learning rate ${lr} for both networks, seed ${seed}, BatchNorm1d on the ${backend.kind} build.\n`);

  const main = await run(`learning rate ${lr}`, data, { steps, every, lr, seed }, serial);
  const highLr = lr * highLrFactor;
  // The second run is only reported in the verdict line, not charted: recording half as often saves time.
  const high = await run(`learning rate ${Number(highLr.toFixed(6))}`, data, { steps: highSteps, every: Math.min(2 * every, highSteps), lr: highLr, seed }, serial);
  const totalMs = performance.now() - started;
  const cpu = process.cpuUsage();
  const cpuMs = (cpu.user + cpu.system) / 1000;

  console.log(`\nHeld-out accuracy (2,000 digits; the batch-norm network in eval mode, running statistics):\n`);
  console.log(accuracyTable(main));
  console.log(`\nWith batch statistics instead (training mode, minibatches of ${DEFAULTS.batchSize}) the batch-norm network scores ` +
    `${(100 * main.bn.batchStatsTestAcc).toFixed(1)}% at the end.`);
  console.log("");
  for (const line of timingLines(main)) console.log(line);
  console.log(`data loading ${(loadMs / 1000).toFixed(1)} s; whole run (both learning rates) ${(totalMs / 1000).toFixed(1)} s wall clock, ` +
    `${(cpuMs / 1000).toFixed(1)} s of CPU time${serial ? "" : " over the two threads"}`);
  console.log(`\nVerdict: ${verdict(main)}`);
  console.log(`At learning rate ${Number(highLr.toFixed(6))} (${highLrFactor}x, ${highSteps.toLocaleString("en-US")} steps): ${verdict(high)}`);

  const doc = buildDocument(main, {
    highLr: { lr: highLr, ...buildDocument(high) },
    timings: { loadMs, totalMs, cpuMs, backend: backend.kind, threads: serial ? 1 : 2 },
  });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "mnist-bn.json"), JSON.stringify(doc) + "\n");
  const subtitle = `${data.train.count.toLocaleString("en-US")} training / ${data.test.count.toLocaleString("en-US")} held-out digits, ` +
    `784-100-100-100-10 sigmoid MLP, minibatch ${DEFAULTS.batchSize}, SGD at learning rate ${lr}, seed ${seed}; ` +
    `(b), (c): input of sigmoid ${DEFAULTS.probeUnit} of the last hidden layer over the 2,000 held-out digits, eval mode`;
  writeFileSync(join(out, "mnist-bn.svg"), renderFigure({ steps: main.steps, plain: main.plain, bn: main.bn, subtitle }));
  console.log(`\nwrote ${join(out, "mnist-bn.json")} and ${join(out, "mnist-bn.svg")}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
