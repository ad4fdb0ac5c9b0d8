// A module Web Worker that runs one list of shared bodies (test/bodies/) on one backend with
// test/helpers/collector.ts (vitest's runner does not exist here; its expect does) and posts
// every test's outcome back, with what it saw of its own scope.
import { BACKENDS } from "../../helpers/backends.js";
import { collect, runTests } from "../../helpers/collector.js";
import { BODY_LISTS, type BodyList } from "./body-lists.js";
import { isModuleWorker, isWorkerScope } from "./scope.js";

export interface BodiesRequest {
  list: BodyList;
  backend: string;
}

self.onmessage = async (event: MessageEvent<BodiesRequest>) => {
  try {
    const { list, backend } = event.data;
    const b = BACKENDS.find((x) => x.name === backend);
    if (!b) throw new Error(`no backend named ${backend}`);
    const results = await runTests(collect(() => BODY_LISTS[list](b)));
    postMessage({ ok: true, isWorker: isWorkerScope(), moduleWorker: isModuleWorker(), results });
  } catch (error) {
    postMessage({ ok: false, error: String((error as Error)?.stack ?? error) });
  }
};
