// describe / it / expect for the shared bodies of test/bodies/: vitest's, except while
// test/helpers/collector.ts collects (inside a module Web Worker, where vitest's runner does
// not exist, and on the main thread listing what such a worker runs). expect is vitest's
// everywhere: it works without the runner.
import { describe as vitestDescribe, expect, it as vitestIt } from "vitest";
import { collecting, collectorDescribe, collectorIt } from "./collector.js";

export { expect };

type Each = (table: readonly unknown[]) => (title: string, fn: (...args: never[]) => unknown) => void;

function routed<T extends typeof vitestDescribe | typeof vitestIt>(real: T, collector: typeof collectorDescribe): T {
  const call = (title: string, fn: () => unknown, ...rest: unknown[]) =>
    collecting() ? collector(title, fn) : (real as (t: string, f: () => unknown, ...r: unknown[]) => void)(title, fn, ...rest);
  const each: Each = (table) => (collecting() ? collector.each(table) : (real.each as unknown as Each)(table));
  return Object.assign(call, { each }) as unknown as T;
}

export const describe = routed(vitestDescribe, collectorDescribe);
export const it = routed(vitestIt, collectorIt);
