// What `npm start` prints and saves: the steps-vs-accuracy table, the timing lines, the
// verdict, and the JSON document (out/mnist-bn.json).

import type { RunResult } from "./train.js";

/** The documented keys first (steps, bn.testAcc, bn.percentiles, plain.*); the rest is extra. */
export interface Document {
  steps: number[];
  bn: { testAcc: number[]; percentiles: Array<[number, number, number]>; [extra: string]: unknown };
  plain: { testAcc: number[]; percentiles: Array<[number, number, number]>; [extra: string]: unknown };
  [extra: string]: unknown;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const int = (v: number) => v.toLocaleString("en-US");

/** Record indices for a readable table: at most about `rows`, always the first, the last and each 90% crossing. */
export function tableRows(run: RunResult, rows = 14): number[] {
  const n = run.steps.length;
  const stride = Math.max(1, Math.ceil((n - 1) / (rows - 1)));
  const keep = new Set<number>();
  for (let k = 0; k < n; k += stride) keep.add(k);
  keep.add(n - 1);
  for (const s of [run.bn.stepsTo90, run.plain.stepsTo90]) if (s !== null) keep.add(run.steps.indexOf(s));
  return [...keep].sort((a, b) => a - b);
}

/** A Markdown table of steps vs held-out accuracy (it reads as plain text too). */
export function accuracyTable(run: RunResult, rows?: number): string {
  const lines = ["| steps | without batch norm | with batch norm |", "| ---: | ---: | ---: |"];
  for (const k of tableRows(run, rows)) {
    const mark = (s: number | null) => (s === run.steps[k] ? " (90%)" : "");
    lines.push(`| ${int(run.steps[k])} | ${pct(run.plain.testAcc[k])}${mark(run.plain.stepsTo90)} | ${pct(run.bn.testAcc[k])}${mark(run.bn.stepsTo90)} |`);
  }
  return lines.join("\n");
}

/** Where the time went: the normalization layers against everything else in training. */
export function timingLines(run: RunResult): string[] {
  const steps = run.config.steps;
  const perStep = (ms: number) => `${(ms / steps).toFixed(2)} ms/step`;
  const bnRest = run.bn.trainMs - run.bn.normMs;
  return [
    `training time, without batch norm: ${(run.plain.trainMs / 1000).toFixed(1)} s (${perStep(run.plain.trainMs)})`,
    `training time, with batch norm:    ${(run.bn.trainMs / 1000).toFixed(1)} s (${perStep(run.bn.trainMs)}), of which ` +
      `BatchNorm1d forward + backward ${(run.bn.normMs / 1000).toFixed(2)} s (${perStep(run.bn.normMs)}, ${pct(run.bn.normMs / run.bn.trainMs)}) ` +
      `and the rest (linear layers, sigmoids, loss, SGD) ${(bnRest / 1000).toFixed(1)} s`,
    `held-out evaluations (${run.steps.length} x 2 networks x ${int(run.config.test)} digits): ${((run.plain.evalMs + run.bn.evalMs) / 1000).toFixed(1)} s`,
  ];
}

function reached(s: number | null, total: number): string {
  return s === null ? `did not reach 90% in ${int(total)} steps` : `reached 90% after ${int(s)} steps`;
}

/** The one-line verdict on a run. */
export function verdict(run: RunResult): string {
  const { bn, plain } = run;
  const total = run.config.steps;
  const last = run.steps.length - 1;
  const finals = `final held-out accuracy ${pct(bn.testAcc[last])} with batch norm, ${pct(plain.testAcc[last])} without`;
  let speed: string;
  if (bn.stepsTo90 !== null && plain.stepsTo90 !== null) {
    const ratio = plain.stepsTo90 / Math.max(bn.stepsTo90, 1);
    speed = `batch norm reached 90% held-out accuracy after ${int(bn.stepsTo90)} steps, the plain network after ${int(plain.stepsTo90)} (${ratio.toFixed(1)}x as many)`;
  } else {
    speed = `batch norm ${reached(bn.stepsTo90, total)}, the plain network ${reached(plain.stepsTo90, total)}`;
  }
  return `${speed}; ${finals}.`;
}

/** The JSON document: the documented keys, then the extras (high-LR run, timings, settings). */
export function buildDocument(run: RunResult, extra: Record<string, unknown> = {}): Document {
  const net = (r: RunResult["bn"] | RunResult["plain"]) => {
    const { testAcc, percentiles, ...rest } = r;
    return { testAcc, percentiles, ...rest };
  };
  return { steps: run.steps, bn: net(run.bn), plain: net(run.plain), config: run.config, ...extra };
}
