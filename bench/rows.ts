// Measuring one row (or a workload's floor) into a RowResult, and the rows a default run
// leaves out because one call alone takes too long.
import type { Case, Prepared } from "./case.js";
import { implementation } from "./implementations.js";
import { FULL, QUICK, measure, measureSamples } from "./measure.js";
import type { Options } from "./options.js";
import type { RowResult } from "./results.js";
import { summarize } from "./stats.js";

/**
 * Above this TF.js cpu takes tens of seconds to minutes per call (the 56x56 shapes): those
 * rows are listed as not measured unless --all, to keep a full run within minutes.
 */
const TFJS_CPU_MAX_ELEMENTS = 4_000_000;

/** Why a listed row is not measured in this run (undefined: it is). */
export function skipReason(c: Case, options: Options): string | undefined {
  if (c.impl === "tfjs-cpu" && c.workload.elements > TFJS_CPU_MAX_ELEMENTS && !options.all) {
    return "not measured by default: tens of seconds per call (pass --all)";
  }
  if (c.allOnly && !options.all) return c.allOnly;
  return c.skip;
}

export function baseRow(c: Pick<Case, "id" | "family" | "workload" | "op" | "impl">): Omit<RowResult, "status"> {
  return {
    id: c.id, family: c.family, workload: c.workload.label, shape: [...c.workload.shape], layout: c.workload.layout,
    ...(c.workload.tensors ? { tensors: c.workload.tensors } : {}), op: c.op, impl: c.impl, implLabel: implementation(c.impl).label,
  };
}

const failed = (error: unknown) => `failed: ${error instanceof Error ? error.message.split("\n")[0].slice(0, 200) : String(error)}`;

export async function measureCase(c: Case, options: Options): Promise<RowResult> {
  const skip = skipReason(c, options);
  if (skip) return { ...baseRow(c), status: "skipped", reason: skip };
  let prepared: Prepared | undefined;
  try {
    prepared = await c.prepare();
    const stats = await measure(prepared, c.pace, options.quick ? QUICK : FULL);
    return { ...baseRow(c), status: "measured", stats };
  } catch (error) {
    return { ...baseRow(c), status: "failed", reason: failed(error) };
  } finally {
    prepared?.dispose();
  }
}

/**
 * The floor of a workload, sampled before its rows and again whenever rowsBetween calls
 * `sample` (after each op's rows), pooled: one figure spanning the minutes the rows were
 * measured in, on a machine whose load drifts.
 */
export async function measureFloor(
  c: Case, options: Options, rowsBetween: (sample: () => Promise<void>) => Promise<void>,
): Promise<RowResult> {
  const samples: number[] = [];
  let prepared: Prepared | undefined;
  let failure: string | undefined;
  try {
    prepared = await c.prepare();
  } catch (error) {
    failure = failed(error);
  }
  const sample = async () => {
    if (prepared) samples.push(...(await measureSamples(prepared, "fast", options.quick ? QUICK : FULL)));
  };
  try {
    await sample();
    await rowsBetween(sample);
  } finally {
    prepared?.dispose();
  }
  if (failure || samples.length === 0) return { ...baseRow(c), status: "failed", reason: failure ?? "failed: no samples" };
  return { ...baseRow(c), status: "measured", stats: summarize(samples) };
}
