// A small collector and runner for the shared bodies of test/bodies/ where vitest's runner
// does not exist: inside a module Web Worker (test/browser/workers/bodies.worker.ts) and on
// the Firefox pages (test/firefox/). While collect() runs, the bodies' describe / it
// (test/helpers/test-api.ts) register here instead of with vitest; the vitest side uses the
// same call to list the tests a worker or page will run (and, for Firefox, to run them in
// Node for the digests the page's must equal).

import { readDigest, resetDigest } from "./digest.js";

export interface CollectedTest {
  /** The describe titles and the test title, joined by " > ". */
  readonly name: string;
  readonly fn: () => unknown;
}

export interface TestResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly ms: number;
  /** The digest of the numbers the test checked (test/helpers/digest.ts), to compare engines. */
  readonly digest: string;
}

type Body = (...args: never[]) => unknown;

let current: { path: string[]; tests: CollectedTest[] } | null = null;

/** True while collect() runs. */
export function collecting(): boolean {
  return current !== null;
}

/** Runs register() (bodies calling describe / it) and returns the tests it declared, in order. */
export function collect(register: () => void): CollectedTest[] {
  const outer = current;
  current = { path: [], tests: [] };
  try {
    register();
    return current.tests;
  } finally {
    current = outer;
  }
}

function state() {
  if (!current) throw new Error("collector: describe / it called outside collect()");
  return current;
}

/** vitest's printf-style titles of .each: %s %d %i %f %j %o %O %# and %%. */
function format(template: string, args: readonly unknown[], index: number): string {
  let k = 0;
  return template.replace(/%[sdifjoO#%]/g, (token) => {
    if (token === "%%") return "%";
    if (token === "%#") return String(index);
    const value = args[k++];
    if (token === "%d" || token === "%i") return String(token === "%i" ? Math.trunc(Number(value)) : Number(value));
    if (token === "%f") return String(Number(value));
    if (typeof value === "string" && token === "%s") return value;
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return String(value);
    }
  });
}

/** vitest's .each: an array row is spread into the arguments, anything else is the one argument. */
function each(declare: (title: string, fn: () => unknown) => void) {
  return (table: readonly unknown[]) => (template: string, fn: Body) => {
    table.forEach((row, i) => {
      const args = Array.isArray(row) ? row : [row];
      declare(format(template, args, i), () => (fn as (...a: unknown[]) => unknown)(...args));
    });
  };
}

function describeImpl(title: string, fn: () => unknown): void {
  const s = state();
  s.path.push(title);
  try {
    fn();
  } catch (error) {
    // As in vitest, an error while collecting a suite is a failure of that suite.
    const name = [...s.path, "(collecting this suite)"].join(" > ");
    s.tests.push({ name, fn: () => { throw error; } });
  } finally {
    s.path.pop();
  }
}

function itImpl(title: string, fn: () => unknown): void {
  const s = state();
  s.tests.push({ name: [...s.path, title].join(" > "), fn });
}

export const collectorDescribe = Object.assign(describeImpl, { each: each(describeImpl) });
export const collectorIt = Object.assign(itImpl, { each: each(itImpl) });

/** Runs the tests one after another, as vitest does within a file. */
export async function runTests(tests: readonly CollectedTest[]): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const t of tests) {
    const start = performance.now();
    resetDigest();
    try {
      await t.fn();
      results.push({ name: t.name, ok: true, ms: performance.now() - start, digest: readDigest() });
    } catch (error) {
      const e = error as Error;
      const text = e?.stack?.includes(e.message) ? e.stack : `${e?.name ?? "Error"}: ${e?.message ?? String(error)}\n${e?.stack ?? ""}`;
      results.push({ name: t.name, ok: false, error: text, ms: performance.now() - start, digest: readDigest() });
    }
  }
  return results;
}
