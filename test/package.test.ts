// The package as users get it: `npm pack` (which runs the prepack build), the tarball
// installed into a fresh project, and every kind of consumer run against it:
//   Node ESM import, CommonJS require, require(esm) of the ES entry (no top-level await),
//   TypeScript consumers (node16 ESM, node16 CJS, bundler) type-checked against the shipped
//   declarations, publint and @arethetypeswrong/cli on the real tarball, the size budget,
//   and (where Chromium / Firefox are present) a Vite production build and a webpack 5 build
//   of one browser app, each loaded in both engines on the main thread and in a Web Worker.
// Every consumer computes real PyTorch fixture cases; the numbers are checked here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import { expectClose } from "./helpers/compare.js";
import { fixtureCases, type FixtureCase } from "./helpers/fixtures.js";
import { TOL, TOL_RUNNING } from "./bodies/fixtures.js";
import { ENGINES, withBrowser, type Engine } from "./helpers/engines.js";
import { onnxCases } from "./helpers/onnx-fixtures.js";
import { serveStatic } from "./helpers/static-server.js";

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);

/**
 * Budgets. The tarball's is 60 KB for the features of issue 12 (58,400 bytes when set): the
 * README is a front door, the JavaScript is bundled per entry (one file per module cost
 * about 100 bytes each in tar headers), and declarations of internals are stripped. A later
 * issue may raise it only by what it adds, stated here in bytes with the reason.
 */
// + 8,700 bytes for issue 15's RMS norm and residual add + norm (kernels in both wasm builds, ops, API, types): 57,527 -> 66,162.
// + 6,350 bytes for issue 15's ONNX nodes (the batchnorm-wasm/onnx entry's bundle and declarations, onnx/package.json,
// its README row, and the shared code now in two chunks, one of them shared with the new entry): 66,205 -> 72,486.
// + 2,400 bytes for issue 13's out / dx options (staging into the caller's array, resolveOut, views of the memory) and
// GroupNorm / InstanceNorm channels last (the group-norm kernels' column walks in both builds, the layout option): 72,486 -> 78,212.
// + 23,100 bytes for issue 14's threads builds (SIMD and scalar with shared, imported memory: 21.6 KB gzipped) and the threaded backend: 66,162 -> 89,220 when measured alone.
// + 27,500 bytes when issues 13, 14 and 16 met in one tarball (101,990 budget -> 128,274 measured): issue 13's kernels
// (+6,200 in the two plain builds, as much again in the two threads builds, which carry every kernel), the threaded
// backend's range code in all four builds, createTfjsLayers (issue 16) and the README's TF.js and threads sections.
// + 1,300 bytes for issue 14's row, group and instance norms on threads (row-plans.ts, the 32-row gradient merge, the
// pipelined sums in the unfused order in all four builds): 128,274 -> 129,551 measured.
// + 2,000 bytes for issue 14's batch norm on threads (channel-plans.ts, the column ranges of the interleaved kernels
// in all four builds): 131,589-131,883 measured when both landed.
// + 1,700 bytes for issue 14's row backwards with parameter gradients and group norm's dweight / dbias on threads
// (assembly/blocksums.ts, the *Blocks exports and groupNormParamGrads in all four builds, the two-phase programs):
// 133,385 measured.
// + 3,000 bytes for issue 14's interleaved batch norm cut by statistics blocks of rows (the six phase kernels of
// assembly/rowblocks.ts and the block loops in all four builds, the row-block plans): 135,400 measured.
const TARBALL_MAX_BYTES = 60 * 1024 + 8_700 + 6_350 + 2_400 + 23_100 + 27_500 + 1_300 + 2_000 + 1_700 + 3_000;
const WASM_GZIP_MAX_BYTES = 16 * 1024;
// The threads builds also carry the threaded backend's own kernels (assembly/threads.ts: batch norm's row-block
// phases, the row backwards by 32-row blocks, the merges and the block geometry): 16,777 gzipped measured for SIMD;
// + 1 KB for issue 13's row-by-row column reductions and 16-channel backward steps (unrolled, once per mask type): 17,575.
const THREADS_WASM_GZIP_MAX_BYTES = 18 * 1024;

/** Fixture cases the consumers compute: 1d, 2d over steps, 3d channels-last, no affine. */
const CASE_NAMES = ["bn2d-train2-eval", "bn1d-2d-train-eval", "bn3d-nhwc-train2", "bn2d-affine-false"];
const cases: FixtureCase[] = CASE_NAMES.map((n) => {
  const c = fixtureCases.find((f) => f.name === n);
  if (!c) throw new Error(`package.test: fixture case ${n} is missing`);
  return c;
});

/** ONNX node cases the consumers of batchnorm-wasm/onnx run: ONNX's own, one per family, and a contrib op. */
const ONNX_CASE_NAMES = ["test_batchnorm_example_training_mode", "test_layer_normalization_4d_axis1", "gn18-3-groups", "skip-ln-all-inputs", "skip-rms-bias"];
const onnxConsumerCases = ONNX_CASE_NAMES.map((n) => {
  const c = onnxCases.find((f) => f.name === n);
  if (!c) throw new Error(`package.test: ONNX case ${n} is missing`);
  return c;
});

let work = "";
let tarball = "";
let consumer = "";
let extracted = "";

async function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  try {
    return await run(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

async function nodeJson(script: string) {
  const { stdout } = await sh(process.execPath, [script], consumer);
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

/** Lists a directory's files recursively, relative to it. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(join(dir, d.name), base) : [relative(base, join(dir, d.name))],
  );
}

interface StepOut {
  y: number[]; dx: number[] | null; dweight: number[] | null; dbias: number[] | null;
  runningMean: number[] | null; runningVar: number[] | null;
}
interface ConsumerOut {
  exports: string[];
  simdSupported: boolean;
  builds: Record<string, { kind: string; cases: StepOut[][] }>;
  functionalY: number[];
}

const expectedExports = async () => Object.keys(await import("../src/index.js")).sort();

/** Every build's numbers for every case against PyTorch, and the kinds of the builds. */
function checkConsumer(label: string, out: ConsumerOut) {
  expect(out.simdSupported, `${label}: simdSupported()`).toBe(true);
  expect(Object.fromEntries(Object.entries(out.builds).map(([k, v]) => [k, v.kind])), `${label}: backend kinds`).toEqual({
    simd: "simd", scalar: "scalar", reference: "reference", default: "simd",
  });
  let steps = 0;
  for (const [name, build] of Object.entries(out.builds)) {
    cases.forEach((c, i) => {
      c.steps.forEach((step, k) => {
        const got = build.cases[i][k];
        const where = `${label} ${name} ${c.name} step ${k + 1}`;
        expectClose(got.y, step.y, TOL, `${where} y`);
        if (step.dx) expectClose(got.dx, step.dx, TOL, `${where} dx`);
        if (step.dweight) expectClose(got.dweight, step.dweight, TOL, `${where} dweight`);
        else if (step.dy) expect(got.dweight, `${where} dweight`).toBeNull();
        if (step.dbias) expectClose(got.dbias, step.dbias, TOL, `${where} dbias`);
        if (step.running_mean) {
          expectClose(got.runningMean, step.running_mean, TOL_RUNNING, `${where} running_mean`);
          expectClose(got.runningVar, step.running_var!, TOL_RUNNING, `${where} running_var`);
        }
        steps++;
      });
    });
  }
  expect(steps).toBe(4 * cases.reduce((n, c) => n + c.steps.length, 0));
  expectClose(out.functionalY, cases[0].steps[0].y, TOL, `${label} functional batchNorm on a tensor`);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "batchnorm-wasm-package-"));
  // Exactly what a publisher runs: prepack builds the wasm and dist/, then npm packs.
  await sh("npm", ["pack", "--pack-destination", work], root);
  const tgz = readdirSync(work).filter((f) => f.endsWith(".tgz"));
  expect(tgz, "npm pack made one tarball").toHaveLength(1);
  tarball = join(work, tgz[0]);

  extracted = join(work, "extracted");
  await sh("mkdir", ["-p", extracted], work);
  await sh("tar", ["-xzf", tarball, "-C", extracted], work);

  consumer = join(work, "consumer");
  cpSync(join(root, "test", "package", "consumer"), consumer, { recursive: true });
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2));
  writeFileSync(join(consumer, "fixture.json"), JSON.stringify({ cases }));
  writeFileSync(join(consumer, "onnx-cases.json"), JSON.stringify(onnxConsumerCases));
  await sh("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", "--prefer-offline", tarball], consumer);
}, 240_000);

afterAll(() => {
  if (work && !process.env.BATCHNORM_WASM_KEEP_PACKAGE_TMP) rmSync(work, { recursive: true, force: true });
});

describe("the tarball", () => {
  it("holds dist/ (ES modules, CommonJS entry, declarations), package.json and README, nothing else", () => {
    const files = walk(join(extracted, "package")).sort();
    for (const f of [
      "package.json", "README.md", "dist/index.js", "dist/index.d.ts", "dist/cjs/index.js", "dist/cjs/index.d.ts", "dist/cjs/package.json",
      "dist/wasm/simd.js", "dist/wasm/scalar.js", "dist/tfjs/index.js", "dist/tfjs/index.d.ts", "dist/cjs/tfjs/index.js", "dist/cjs/tfjs/index.d.ts",
      "dist/onnx/index.js", "dist/onnx/index.d.ts", "dist/cjs/onnx/index.js", "dist/cjs/onnx/index.d.ts",
    ]) {
      expect(files, f).toContain(f);
    }
    // Everything ships once (scripts/build-dist.mjs): no second compilation under dist/cjs/.
    expect(files.filter((f) => f.startsWith("dist/cjs/") && f.endsWith(".js")), "CommonJS JavaScript").toEqual(["dist/cjs/index.js", "dist/cjs/onnx/index.js", "dist/cjs/tfjs/index.js"]);
    expect(files.filter((f) => f.startsWith("dist/") && !f.startsWith("dist/cjs/") && f.endsWith(".d.ts")), "ES declarations").toEqual(["dist/index.d.ts", "dist/onnx/index.d.ts", "dist/tfjs/index.d.ts"]);
    // tfjs/package.json and onnx/package.json point resolvers that ignore "exports" (TypeScript's node10) at the subpath entries.
    const stray = files.filter((f) => !(f.startsWith("dist/") || ["package.json", "README.md", "LICENSE", "tfjs/package.json", "onnx/package.json"].includes(f)));
    expect(stray, "files outside dist/").toEqual([]);
    expect(files.filter((f) => /\.(ts|mts|cts)$/.test(f) && !f.endsWith(".d.ts")), "TypeScript sources").toEqual([]);
    expect(JSON.parse(readFileSync(join(extracted, "package", "dist", "cjs", "package.json"), "utf8")).type).toBe("commonjs");
    // The binaries live in the JavaScript only: a declaration carrying the base64 literal type
    // would double the tarball.
    for (const f of files.filter((f) => f.endsWith(".d.ts"))) {
      expect(readFileSync(join(extracted, "package", f), "utf8"), f).not.toMatch(/[A-Za-z0-9+/]{1000,}/);
    }
  });

  it("declares no runtime dependencies; TF.js only as an optional peer (of the ./tfjs adapter)", () => {
    const pkg = JSON.parse(readFileSync(join(extracted, "package", "package.json"), "utf8"));
    for (const key of ["dependencies", "optionalDependencies", "bundleDependencies"]) {
      expect(Object.keys(pkg[key] ?? {}), key).toEqual([]);
    }
    expect(Object.keys(pkg.peerDependencies ?? {})).toEqual(["@tensorflow/tfjs-core", "@tensorflow/tfjs-layers"]);
    for (const name of ["@tensorflow/tfjs-core", "@tensorflow/tfjs-layers"]) expect(pkg.peerDependenciesMeta[name].optional, name).toBe(true);
  });

  it(`is under ${TARBALL_MAX_BYTES / 1024} KB, and each wasm build under ${WASM_GZIP_MAX_BYTES / 1024} KB gzipped (threads builds ${THREADS_WASM_GZIP_MAX_BYTES / 1024} KB)`, () => {
    const size = statSync(tarball).size;
    const rows = [`tarball ${size} bytes`];
    expect(size).toBeLessThan(TARBALL_MAX_BYTES);
    for (const build of ["simd", "scalar", "simd-threads", "scalar-threads"]) {
      // The binaries as shipped: decoded from the inlined base64 of the ES build (the only copy).
      for (const dir of ["dist/wasm"]) {
        const text = readFileSync(join(extracted, "package", dir, `${build}.js`), "utf8");
        const b64 = /"([A-Za-z0-9+/=]{1000,})"/.exec(text)?.[1];
        expect(b64, `${dir}/${build}.js holds the base64 binary`).toBeTruthy();
        const bytes = Buffer.from(b64!, "base64");
        expect(WebAssembly.validate(bytes), `${dir}/${build}.js is a valid wasm module`).toBe(true);
        const gz = gzipSync(bytes, { level: 9 }).length;
        expect(gz, build).toBeLessThan(build.endsWith("-threads") ? THREADS_WASM_GZIP_MAX_BYTES : WASM_GZIP_MAX_BYTES);
        if (dir === "dist/wasm") rows.push(`wasm ${build} ${bytes.length} bytes, ${gz} gzipped`);
      }
    }
    expect(gunzipSync(readFileSync(tarball)).length).toBeGreaterThan(size);
    console.log(`package sizes: ${rows.join("; ")}`);
  });

  it("passes publint --strict (on the unpacked tarball)", async () => {
    const { stdout } = await sh(bin("publint"), [join(extracted, "package"), "--strict", "--pack", "false"], root);
    expect(stdout).toContain("All good!");
  });

  it("passes @arethetypeswrong/cli (node10, node16 from CJS and ESM, bundler)", async () => {
    const { stdout } = await sh(bin("attw"), [tarball, "--format", "json"], root);
    const report = JSON.parse(stdout);
    const problems = report.problems;
    expect(Array.isArray(problems) ? problems : Object.values(problems ?? {}).flat(), "attw problems").toEqual([]);
    const resolutions = report.analysis.entrypoints["."].resolutions;
    expect(Object.keys(resolutions).sort()).toEqual(["bundler", "node10", "node16-cjs", "node16-esm"]);
    expect(resolutions["node16-cjs"].resolution.fileName).toMatch(/dist\/cjs\/index\.d\.ts$/);
    expect(resolutions["node16-esm"].resolution.fileName).toMatch(/dist\/index\.d\.ts$/);
    for (const sub of ["tfjs", "onnx"]) {
      const entry = report.analysis.entrypoints[`./${sub}`].resolutions;
      expect(Object.keys(entry).sort()).toEqual(["bundler", "node10", "node16-cjs", "node16-esm"]);
      expect(entry["node16-cjs"].resolution.fileName).toMatch(new RegExp(`dist/cjs/${sub}/index\\.d\\.ts$`));
      expect(entry["node16-esm"].resolution.fileName).toMatch(new RegExp(`dist/${sub}/index\\.d\\.ts$`));
    }
  });
});

describe("Node consumers of the installed tarball", () => {
  it("ESM import: resolves dist/index.js and computes PyTorch's numbers on every build", async () => {
    const out = await nodeJson("node/esm.mjs");
    expect(out.resolved).toMatch(/node_modules\/batchnorm-wasm\/dist\/index\.js$/);
    expect(out.named).toBe(true);
    expect(out.exports).toEqual(await expectedExports());
    checkConsumer("node ESM", out);
  });

  it("CommonJS require: resolves dist/cjs/index.js and computes PyTorch's numbers on every build", async () => {
    const out = await nodeJson("node/cjs.cjs");
    expect(out.resolved).toMatch(/node_modules\/batchnorm-wasm\/dist\/cjs\/index\.js$/);
    expect(out.named).toBe(true);
    expect(out.exports).toEqual(await expectedExports());
    checkConsumer("node CJS", out);
  });

  it.each([["ESM import", "node/threads.mjs"], ["CommonJS require", "node/threads.cjs"]])(
    "%s: createThreadedBackend runs on two threads with the bits of one",
    async (_label, script) => {
      const out = await nodeJson(script);
      expect(out.threads).toBe(2);
      expect(out.info).toEqual({ build: "simd", shared: true, wait: "atomics", fallback: null });
      expect(out.same).toBe(true);
    },
  );

  it("require(esm) of the ES entry works on this Node (no top-level await anywhere in it)", async () => {
    const out = await nodeJson("node/require-esm.cjs");
    expect(out.requireModule, "this Node has require(esm)").toBe(true);
    expect(out.entry).toMatch(/dist\/index\.js$/);
    // x = [[1, 2], [3, 5]] per channel: (1, 3) and (2, 5), biased variances 1 and 2.25.
    const a = 1 / Math.sqrt(1 + 1e-5), b = 1.5 / Math.sqrt(2.25 + 1e-5);
    expectClose(out.y, [-a, -b, a, b], 1e-6, "require(esm) forward");
  });
});

describe("the TF.js adapter (batchnorm-wasm/tfjs) from the installed tarball", () => {
  // TF.js comes from this repository's devDependencies: the consumer installs only the tarball.
  it.each([["ESM import", "node/tfjs.mjs", /dist\/tfjs\/index\.js$/], ["CommonJS require", "node/tfjs.cjs", /dist\/cjs\/tfjs\/index\.js$/]])(
    "%s: tf.batchNorm runs on this package's kernels and agrees with TF.js's own",
    async (_label, script, resolved) => {
      const { stdout } = await sh(process.execPath, [script], consumer, { BATCHNORM_WASM_REPO: root });
      const out = JSON.parse(stdout.trim().split("\n").pop()!);
      expect(out.resolved).toMatch(resolved);
      expect(out.ranOurs, "our kernels ran (their memory was used)").toBe(true);
      expectClose(out.adapted, out.original, 1e-5, `${script} tf.batchNorm`);
      expect(out.restored, "unregister restored TF.js's kernel").toBe(true);
    },
    60_000,
  );
});

describe("the ONNX nodes (batchnorm-wasm/onnx) from the installed tarball", () => {
  it.each([["ESM import", "node/onnx.mjs", /dist\/onnx\/index\.js$/], ["CommonJS require", "node/onnx.cjs", /dist\/cjs\/onnx\/index\.js$/]])(
    "%s: runOnnxNode computes ONNX's cases on both builds",
    async (_label, script, resolved) => {
      const out = await nodeJson(script);
      expect(out.resolved).toMatch(resolved);
      expect(out.ops).toContain("SkipSimplifiedLayerNormalization");
      for (const [build, results] of Object.entries(out.builds as Record<string, ({ shape: number[]; data: number[] } | null)[][]>)) {
        onnxConsumerCases.forEach((c, i) => {
          c.outputs.forEach((want, k) => {
            const got = results[i][k];
            if (!want) return expect(got, `${script} ${build} ${c.name} output ${k}`).toBeNull();
            expect(got!.shape, `${script} ${build} ${c.name} output ${k} shape`).toEqual(want.shape);
            expectClose(got!.data, want.data, 1e-5, `${script} ${build} ${c.name} output ${k}`);
          });
        });
      }
      expect(Object.keys(out.builds)).toEqual(["simd", "scalar"]);
    },
    60_000,
  );
});

describe("TypeScript consumers, against the shipped declarations", () => {
  const configs = [
    { name: "node16-esm", file: "consumer.mts", declarations: /batchnorm-wasm\/dist\/index\.d\.ts$/ },
    { name: "node16-cjs", file: "consumer.cts", declarations: /batchnorm-wasm\/dist\/cjs\/index\.d\.ts$/ },
    { name: "bundler", file: "consumer.ts", declarations: /batchnorm-wasm\/dist\/index\.d\.ts$/ },
  ];
  it.each(configs)("tsc --noEmit, $name resolution", async ({ name, file, declarations }) => {
    const dir = join(consumer, "ts");
    if (file !== "consumer.ts") cpSync(join(dir, "consumer.ts"), join(dir, file));
    const tsconfig = join(dir, `tsconfig.${name}.json`);
    const config = JSON.parse(readFileSync(tsconfig, "utf8"));
    // @types/node from this repository rather than a download into the consumer.
    if (config.compilerOptions.types.includes("node")) config.compilerOptions.typeRoots = [join(root, "node_modules", "@types")];
    writeFileSync(tsconfig, JSON.stringify(config));
    const { stdout } = await sh(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", tsconfig, "--listFiles"], dir);
    const files = stdout.split("\n").map((l) => l.trim());
    expect(files.some((f) => declarations.test(f)), `${name} used ${declarations}`).toBe(true);
    expect(files.some((f) => f.includes("/src/")), "no repository sources leaked into the consumer").toBe(false);
  }, 120_000);
});

describe.runIf(ENGINES.some((e) => e.available))("browser consumers of the installed tarball", () => {
  async function openAndCheck(engine: Engine, bundler: string, dir: string, moduleWorker: boolean) {
    const server = await serveStatic(dir);
    try {
      await withBrowser(engine, async (browser) => {
        const page = await browser.newPage();
        await page.goto(server.url);
        await page.waitFor(() => (window as { __consumerResult?: unknown }).__consumerResult, 60_000);
        const result = await page.evaluate(() => (window as { __consumerResult?: unknown }).__consumerResult) as {
          error?: string; main: ConsumerOut & { isWorker: boolean }; worker: ConsumerOut & { isWorker: boolean; moduleWorker: boolean };
        };
        const label = `${bundler} in ${engine.label}`;
        expect(result.error, `${label}: page error`).toBeUndefined();
        expect(page.pageErrors, `${label}: uncaught errors`).toEqual([]);
        const exportsList = await expectedExports();
        expect(result.main.isWorker).toBe(false);
        expect(result.main.exports).toEqual(exportsList);
        checkConsumer(`${label} main thread`, result.main);
        expect(result.worker.isWorker, `${label}: ran in a worker`).toBe(true);
        expect(result.worker.moduleWorker, `${label}: the worker is ${moduleWorker ? "a module" : "a classic"} worker`).toBe(moduleWorker);
        expect(result.worker.exports).toEqual(exportsList);
        checkConsumer(`${label} module worker`, result.worker);
        expect(result.worker.builds.simd.cases, `${label}: worker and main thread agree exactly`).toEqual(result.main.builds.simd.cases);
      });
    } finally {
      await server.close();
    }
  }

  /** Each build once, for every engine that opens it. */
  const built = new Map<string, Promise<string>>();
  const once = (name: string, make: () => Promise<string>) => built.get(name) ?? built.set(name, make()).get(name)!;

  const viteBuild = () => once("vite", async () => {
    const { build } = await import("vite");
    const outDir = join(work, "vite-dist");
    await build({
      root: join(consumer, "browser-app"), configFile: false, logLevel: "warn",
      build: { outDir, emptyOutDir: true },
    });
    expect(readdirSync(join(outDir, "assets")).some((f) => /^worker.*\.js$/.test(f)), "Vite emitted the worker").toBe(true);
    return outDir;
  });

  const webpackBuild = (esm: boolean) => once(esm ? "webpack-esm" : "webpack", async () => {
    const webpack = (await import("webpack")).default;
    const outDir = join(work, esm ? "webpack-esm-dist" : "webpack-dist");
    const stats = await new Promise<import("webpack").Stats>((resolve, reject) => {
      webpack({
        mode: "production", context: join(consumer, "browser-app"), entry: "./main.js",
        output: { path: outDir, filename: "main.js", clean: true, ...(esm ? { module: true } : {}) },
        ...(esm ? { experiments: { outputModule: true } } : {}),
        performance: { hints: false },
      }, (err, s) => (err || !s ? reject(err ?? new Error("webpack: no stats")) : resolve(s)));
    });
    expect(stats.hasErrors(), stats.toString({ all: false, errors: true, warnings: true })).toBe(false);
    expect(readdirSync(outDir).filter((f) => f.endsWith(".js")).length, "main bundle and worker chunk").toBeGreaterThanOrEqual(2);
    const script = esm ? '<script type="module" src="./main.js"></script>' : '<script src="./main.js"></script>';
    writeFileSync(join(outDir, "index.html"),
      readFileSync(join(consumer, "browser-app", "index.html"), "utf8").replace('<script type="module" src="./main.js"></script>', script));
    return outDir;
  });

  // webpack 5 turns `new Worker(new URL(...), { type: "module" })` into a classic worker
  // unless the app asks for ES module output; both must work, and the second must really
  // be a module worker.
  const webpackBuilds = [
    { name: "defaults (mode, entry, output only)", esm: false },
    { name: "ES module output (experiments.outputModule)", esm: true },
  ];
  for (const engine of ENGINES) {
    it.runIf(engine.available)(`${engine.label}: a Vite production build (no configuration), main thread and module worker`, async () => {
      await openAndCheck(engine, "Vite", await viteBuild(), true);
    }, 180_000);

    it.runIf(engine.available).each(webpackBuilds)(`${engine.label}: a webpack 5 production build, $name: main thread and worker`, async ({ esm }) => {
      await openAndCheck(engine, `webpack ${esm ? "ESM" : "default"}`, await webpackBuild(esm), esm);
    }, 180_000);
  }
});
