// Every shared body of test/bodies/ (the batch-norm list, the layer / group / instance norm
// list, the split primitives) inside a module Web Worker, once per backend (SIMD, scalar,
// reference): the main thread lists the tests with the same code the worker runs them with
// (test/helpers/collector.ts), the worker must run exactly that list, and each of its tests
// is reported here as a test of its own.
import { beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "../helpers/backends.js";
import { collect } from "../helpers/collector.js";
import { BODY_LISTS, type BodyList } from "./workers/body-lists.js";
import { runBodiesInWorker, type BodiesAnswer } from "./workers/client.js";

/** A whole list on one backend runs in a few seconds; the worker gets far longer. */
const WORKER_TIMEOUT = 100_000;

const lists = Object.keys(BODY_LISTS) as BodyList[];

describe.each(lists)("%s bodies in a module Web Worker", (list) => {
  describe.each(BACKENDS.map((b) => [b.name, b] as const))("%s backend", (name, b) => {
    const names = collect(() => BODY_LISTS[list](b)).map((t) => t.name);
    let answer: BodiesAnswer | undefined;
    beforeAll(async () => {
      answer = await runBodiesInWorker(list, name, WORKER_TIMEOUT);
    }, WORKER_TIMEOUT + 10_000);

    it("ran in a module worker, the main thread's list of tests in its order", () => {
      expect(answer!.isWorker, "ran in a worker scope").toBe(true);
      expect(answer!.moduleWorker, "ran as a module worker").toBe(true);
      expect(names.length).toBeGreaterThan(0);
      expect(answer!.results.map((r) => r.name)).toEqual(names);
    });

    it.each(names.map((n, i) => [n, i] as const))("%s", (_n, i) => {
      const r = answer!.results[i];
      expect(r, "the worker ran this test").toBeDefined();
      if (!r.ok) throw new Error(`in the worker: ${r.error}`);
    });
  });
});
