// SyncBatchNorm on worker threads: 2 and 3 ranks with uneven shards against one
// BatchNorm module on the whole batch, and ranks that throw, exit, hang or get bad input
// making every peer fail with a clear error instead of waiting forever.
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import {
  BatchNorm1d, BatchNorm2d, createSyncGroup, SyncBatchNorm, type BatchNormOptions, type Layout,
} from "../src/index.js";
import { expectClose } from "./helpers/compare.js";
import { gaussian, seededRandom } from "./helpers/random.js";
import type { ShardStep, WorkerJob, WorkerResult } from "./sync/sync-worker.js";
import { concat } from "./helpers/concat.js";

const TOL = 1e-5;

function randomArray(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n }, () => gaussian(rand) * scale + offset);
}

interface GroupRun {
  results: Promise<WorkerResult>[];
  workers: Worker[];
}

/** Starts one worker per job, joined in a new group and watched by it. */
function startGroup(jobs: Array<Omit<WorkerJob, "handle">>, timeoutMs: number): GroupRun {
  const group = createSyncGroup({ worldSize: jobs.length, maxChannels: 64, timeoutMs });
  const workers = jobs.map((job, rank) => new Worker(new URL("./sync/worker-entry.mjs", import.meta.url), {
    workerData: { ...job, handle: group.handle(rank) } satisfies WorkerJob, execArgv: [],
  }));
  workers.forEach((w, rank) => group.watch(w, rank));
  const results = workers.map((w, rank) => new Promise<WorkerResult>((resolve) => {
    w.once("message", (m: WorkerResult) => resolve(m));
    w.once("error", (e) => resolve({ ok: false, error: `uncaught in the worker: ${e.message}`, rank }));
    w.once("exit", (code) => resolve({ ok: false, error: `the worker exited with code ${code} before reporting`, rank }));
  }));
  return { results, workers };
}

async function stopAll(run: GroupRun): Promise<void> {
  await Promise.all(run.workers.map((w) => w.terminate()));
}

interface Setup {
  name: string;
  /** Samples per rank. */
  shards: number[];
  /** Shape of one sample. */
  sample: number[];
  layout: Layout;
  backend: WorkerJob["backend"];
  tensors: boolean;
  options: Omit<BatchNormOptions, "backend">;
}

const SETUPS: Setup[] = [
  { name: "2 ranks, shards of 3 and 5 samples, NCHW, SIMD", shards: [3, 5], sample: [4, 6, 5], layout: "NCHW", backend: "simd", tensors: false, options: {} },
  {
    name: "3 ranks, shards of 2, 1 and 4 samples, NHWC, scalar build, tensors", shards: [2, 1, 4], sample: [5, 3, 6],
    layout: "NHWC", backend: "scalar", tensors: true, options: { layout: "NHWC", momentum: 0.3, eps: 1e-3 },
  },
  {
    name: "3 ranks, 2-D (N, C) with shards of 7, 2 and 12 rows, reference backend, momentum null", shards: [7, 2, 12], sample: [10],
    layout: "NCHW", backend: "reference", tensors: false, options: { momentum: null },
  },
];

const STEPS = 2;

describe("SyncBatchNorm on worker threads", () => {
  describe.each(SETUPS.map((s) => [s.name, s] as const))("%s", (_name, s) => {
    it("gives the whole batch's y, dx, dweight, dbias and running statistics", async () => {
      const C = s.layout === "NHWC" && s.sample.length > 1 ? s.sample[s.sample.length - 1] : s.sample[0];
      const per = s.sample.reduce((a, b) => a * b, 1);
      const N = s.shards.reduce((a, b) => a + b, 0);
      const shapeOf = (n: number) => [n, ...s.sample];
      // Per step and rank: x and dy of that rank's shard.
      const data = Array.from({ length: STEPS }, (_, step) => s.shards.map((n, rank): ShardStep => ({
        x: randomArray(n * per, 1000 * step + rank, 1.5, step - 0.5), dy: randomArray(n * per, 1000 * step + rank + 500), shape: shapeOf(n),
      })));
      const evalSteps = s.shards.map((n, rank) => ({ x: randomArray(n * per, 9000 + rank), shape: shapeOf(n) }));

      // The reference: one module on the whole batch, the same steps.
      const Module = s.sample.length === 1 ? BatchNorm1d : BatchNorm2d;
      const whole = new Module(C, { ...s.options });
      const expected = data.map((ranks) => {
        const y = whole.train().forward(concat(ranks.map((r) => r.x)), shapeOf(N));
        return { y, ...whole.backward(concat(ranks.map((r) => r.dy))) };
      });
      whole.eval();
      const expectedEval = whole.forward(concat(evalSteps.map((e) => e.x)), shapeOf(N));

      const run = startGroup(s.shards.map((_, rank) => ({
        backend: s.backend, numFeatures: C, options: s.options, steps: data.map((ranks) => ranks[rank]),
        evalStep: evalSteps[rank], tensors: s.tensors,
      })), 30_000);
      try {
        const results = await Promise.all(run.results);
        for (const r of results) if (!r.ok) throw new Error(`rank ${r.rank}: ${r.error}`);
        const ok = results as Array<Extract<WorkerResult, { ok: true }>>;
        for (let step = 0; step < STEPS; step++) {
          const label = `step ${step + 1}`;
          expectClose(concat(ok.map((r) => r.ys[step])), expected[step].y, TOL, `${label} y`);
          expectClose(concat(ok.map((r) => r.dxs[step])), expected[step].dx, TOL, `${label} dx`);
          ok.forEach((r, rank) => {
            expectClose(r.dweights[step], expected[step].dweight!, TOL, `${label} dweight of rank ${rank}`);
            expectClose(r.dbiases[step], expected[step].dbias!, TOL, `${label} dbias of rank ${rank}`);
          });
        }
        ok.forEach((r, rank) => {
          expectClose(r.runningMean, whole.runningMean!, TOL, `running mean of rank ${rank}`);
          expectClose(r.runningVar, whole.runningVar!, TOL, `running var of rank ${rank}`);
          expect(r.numBatchesTracked).toBe(STEPS);
          // Every rank holds the same state, bit for bit: they merged the same numbers in the same order.
          expect(Array.from(r.runningVar!)).toEqual(Array.from(ok[0].runningVar!));
        });
        expectClose(concat(ok.map((r) => r.evalY)), expectedEval, TOL, "eval y (running statistics)");
        // allReduce through the same group, in several exchanges (300 values, slots of 128).
        const factor = (s.shards.length * (s.shards.length + 1)) / 2;
        ok.forEach((r) => expect(Array.from(r.reduced)).toEqual(Array.from({ length: 300 }, (_, i) => i * factor)));
      } finally {
        await stopAll(run);
        whole.dispose();
      }
    }, 60_000);
  });

  describe("a rank that fails makes every peer fail, not wait", () => {
    const C = 3, sample = [3, 4, 4], per = 48;
    const jobs = (shards: number[], fault: WorkerJob["fault"] & { rank: number }) => shards.map((n, rank) => ({
      backend: "simd" as const, numFeatures: C, options: {}, tensors: false,
      steps: [0, 1].map((step) => ({ x: randomArray(n * per, step * 10 + rank), dy: randomArray(n * per, step * 10 + rank + 5), shape: [n, ...sample] })),
      evalStep: { x: randomArray(n * per, 99), shape: [n, ...sample] },
      fault: rank === fault.rank ? { step: fault.step, kind: fault.kind } : undefined,
    }));

    async function peersFail(shards: number[], fault: NonNullable<WorkerJob["fault"]> & { rank: number }, timeoutMs: number, expected: RegExp) {
      const run = startGroup(jobs(shards, fault), timeoutMs);
      try {
        const peers = run.results.filter((_, rank) => rank !== fault.rank);
        const results = await Promise.all(peers);
        for (const r of results) {
          expect(r.ok, "the peer's call failed").toBe(false);
          if (!r.ok) expect(r.error).toMatch(expected);
        }
        return results;
      } finally {
        await stopAll(run);
      }
    }

    it("a rank that throws (uncaught) in its second step: both peers fail naming it", async () => {
      await peersFail([2, 3, 1], { rank: 1, step: 1, kind: "throw" }, 30_000,
        /SyncBatchNorm\.(forward|backward): the sync group is broken: the worker of rank 1 threw: rank 1 fails on purpose/);
    }, 60_000);

    it("a rank that exits before its first step: both peers fail naming it", async () => {
      await peersFail([2, 2, 3], { rank: 2, step: 0, kind: "exit" }, 30_000,
        /SyncBatchNorm\.forward: the sync group is broken: the worker of rank 2 exited with code 3/);
    }, 60_000);

    it("a rank whose forward refuses bad input: its peers fail with its error", async () => {
      await peersFail([1, 2], { rank: 0, step: 1, kind: "bad-input" }, 30_000,
        /the sync group is broken: rank 0 failed: SyncBatchNorm\.forward: expected 3 channels/);
    }, 60_000);

    it("a rank that hangs without dying: the peers give up after the timeout, naming it", async () => {
      const results = await peersFail([2, 1, 2], { rank: 0, step: 1, kind: "hang" }, 1500,
        /the sync group is broken: rank [12] waited 1500 ms in the forward \(statistics\) for rank 0, which never arrived/);
      expect(results).toHaveLength(2);
    }, 60_000);
  });

  it("refuses a missing or foreign group handle, and more channels than the group carries", () => {
    expect(() => new SyncBatchNorm(3, {} as never)).toThrow(/SyncBatchNorm: options must include group/);
    expect(() => new SyncBatchNorm(3, { group: { rank: 0 } as never })).toThrow(/SyncBatchNorm: group must be a handle from SyncGroup\.handle/);
    const group = createSyncGroup({ worldSize: 2, maxChannels: 8 });
    expect(() => new SyncBatchNorm(9, { group: group.handle(0) })).toThrow(/numFeatures 9 is more than the group's maxChannels 8/);
    expect(() => new SyncBatchNorm(4, { group: group.handle(0), activation: "relu" })).toThrow(/activation must be "none"/);
    expect(() => group.handle(2)).toThrow(/SyncGroup\.handle: rank must be an integer from 0 to 1, got 2/);
    expect(() => createSyncGroup({ worldSize: 0 })).toThrow(/createSyncGroup: worldSize must be a positive integer/);
  });

  it("out and dx: the collective forward and backward write into the caller's arrays (one rank, plain batch norm's numbers)", () => {
    const group = createSyncGroup({ worldSize: 1, timeoutMs: 1000 });
    const bn = new SyncBatchNorm(2, { group: group.handle(0) });
    const plain = new BatchNorm2d(2);
    const x = randomArray(2 * 2 * 9, 6), dy = randomArray(2 * 2 * 9, 7);
    const out = new Float32Array(36), dx = new Float32Array(36);
    expect(bn.forward(x, [2, 2, 3, 3], { out })).toBe(out);
    expect(bn.backward(dy, { dx }).dx).toBe(dx);
    expect(out).toEqual(plain.forward(x, [2, 2, 3, 3]));
    expect(dx).toEqual(plain.backward(dy).dx);
    expect(() => bn.forward(x, [2, 2, 3, 3], { out: new Float32Array(35) })).toThrow(/SyncBatchNorm\.forward: out must have 36 elements/);
  });

  it("one rank alone is plain batch norm; a broken group fails every later collective call", () => {
    const group = createSyncGroup({ worldSize: 1, timeoutMs: 1000 });
    const bn = new SyncBatchNorm(2, { group: group.handle(0) });
    const plain = new BatchNorm2d(2);
    const x = randomArray(2 * 2 * 9, 5);
    expect(Array.from(bn.forward(x, [2, 2, 3, 3]))).toEqual(Array.from(plain.forward(x, [2, 2, 3, 3])));
    group.abort("stopped by the test");
    expect(() => bn.backward(x)).toThrow(/SyncBatchNorm\.backward: the sync group is broken: stopped by the test/);
    expect(() => bn.forward(x, [2, 2, 3, 3])).toThrow(/SyncBatchNorm\.forward: the sync group is broken: stopped by the test/);
    // Eval forwards use the running statistics and exchange nothing.
    bn.eval();
    expect(bn.forward(x, [2, 2, 3, 3]).length).toBe(36);
    expect(group.brokenReason).toBe("stopped by the test");
  });
});
