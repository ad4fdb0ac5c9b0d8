// The package as users get it: `npm pack` (which runs the prepack build), the tarball
// installed into a fresh project, and every kind of consumer run against it:
//   Node ESM import, CommonJS require, require(esm) of the ES entry (no top-level await),
//   TypeScript consumers (node16 ESM, node16 CJS, bundler) type-checked against the shipped
//   declarations, publint and @arethetypeswrong/cli on the real tarball, the size budget,
//   and (where Chromium is present) a Vite production build and a webpack 5 build of one
//   browser app, each loaded in Chromium on the main thread and in a module Web Worker.
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
import { chromiumLaunchOptions, hasChromium } from "./helpers/chromium.js";
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
// + 6,200 bytes for issue 13's kernel speed (planar walks in memory order, row-group loops, the pipelined LayerNorm forward; both wasm builds): 66,205 -> 72,369.
const TARBALL_MAX_BYTES = 60 * 1024 + 8_700 + 6_200;
const WASM_GZIP_MAX_BYTES = 16 * 1024;

/** Fixture cases the consumers compute: 1d, 2d over steps, 3d channels-last, no affine. */
const CASE_NAMES = ["bn2d-train2-eval", "bn1d-2d-train-eval", "bn3d-nhwc-train2", "bn2d-affine-false"];
const cases: FixtureCase[] = CASE_NAMES.map((n) => {
  const c = fixtureCases.find((f) => f.name === n);
  if (!c) throw new Error(`package.test: fixture case ${n} is missing`);
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
    ]) {
      expect(files, f).toContain(f);
    }
    // Everything ships once (scripts/build-dist.mjs): no second compilation under dist/cjs/.
    expect(files.filter((f) => f.startsWith("dist/cjs/") && f.endsWith(".js")), "CommonJS JavaScript").toEqual(["dist/cjs/index.js", "dist/cjs/tfjs/index.js"]);
    expect(files.filter((f) => f.startsWith("dist/") && !f.startsWith("dist/cjs/") && f.endsWith(".d.ts")), "ES declarations").toEqual(["dist/index.d.ts", "dist/tfjs/index.d.ts"]);
    // tfjs/package.json points resolvers that ignore "exports" (TypeScript's node10) at the ./tfjs entry.
    const stray = files.filter((f) => !(f.startsWith("dist/") || ["package.json", "README.md", "LICENSE", "tfjs/package.json"].includes(f)));
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
    expect(Object.keys(pkg.peerDependencies ?? {})).toEqual(["@tensorflow/tfjs-core"]);
    expect(pkg.peerDependenciesMeta["@tensorflow/tfjs-core"].optional).toBe(true);
  });

  it(`is under ${TARBALL_MAX_BYTES / 1024} KB, and each wasm build under ${WASM_GZIP_MAX_BYTES / 1024} KB gzipped`, () => {
    const size = statSync(tarball).size;
    const rows = [`tarball ${size} bytes`];
    expect(size).toBeLessThan(TARBALL_MAX_BYTES);
    for (const build of ["simd", "scalar"]) {
      // The binaries as shipped: decoded from the inlined base64 of the ES build (the only copy).
      for (const dir of ["dist/wasm"]) {
        const text = readFileSync(join(extracted, "package", dir, `${build}.js`), "utf8");
        const b64 = /"([A-Za-z0-9+/=]{1000,})"/.exec(text)?.[1];
        expect(b64, `${dir}/${build}.js holds the base64 binary`).toBeTruthy();
        const bytes = Buffer.from(b64!, "base64");
        expect(WebAssembly.validate(bytes), `${dir}/${build}.js is a valid wasm module`).toBe(true);
        const gz = gzipSync(bytes, { level: 9 }).length;
        expect(gz).toBeLessThan(WASM_GZIP_MAX_BYTES);
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
    const tfjs = report.analysis.entrypoints["./tfjs"].resolutions;
    expect(Object.keys(tfjs).sort()).toEqual(["bundler", "node10", "node16-cjs", "node16-esm"]);
    expect(tfjs["node16-cjs"].resolution.fileName).toMatch(/dist\/cjs\/tfjs\/index\.d\.ts$/);
    expect(tfjs["node16-esm"].resolution.fileName).toMatch(/dist\/tfjs\/index\.d\.ts$/);
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

describe.runIf(hasChromium)("browser consumers of the installed tarball, in Chromium", () => {
  let browser: import("playwright").Browser;
  beforeAll(async () => {
    const { chromium } = await import("playwright");
    browser = await chromium.launch(chromiumLaunchOptions);
  });
  afterAll(async () => browser?.close());

  async function openAndCheck(label: string, dir: string, moduleWorker: boolean) {
    const server = await serveStatic(dir);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    try {
      await page.goto(server.url);
      await page.waitForFunction(() => (window as { __consumerResult?: unknown }).__consumerResult, null, { timeout: 60_000 });
      const result = await page.evaluate(() => (window as { __consumerResult?: unknown }).__consumerResult) as {
        error?: string; main: ConsumerOut & { isWorker: boolean }; worker: ConsumerOut & { isWorker: boolean; moduleWorker: boolean };
      };
      expect(result.error, `${label}: page error`).toBeUndefined();
      expect(errors, `${label}: uncaught errors`).toEqual([]);
      const exportsList = await expectedExports();
      expect(result.main.isWorker).toBe(false);
      expect(result.main.exports).toEqual(exportsList);
      checkConsumer(`${label} main thread`, result.main);
      expect(result.worker.isWorker, `${label}: ran in a worker`).toBe(true);
      expect(result.worker.moduleWorker, `${label}: the worker is ${moduleWorker ? "a module" : "a classic"} worker`).toBe(moduleWorker);
      expect(result.worker.exports).toEqual(exportsList);
      checkConsumer(`${label} module worker`, result.worker);
      expect(result.worker.builds.simd.cases, `${label}: worker and main thread agree exactly`).toEqual(result.main.builds.simd.cases);
    } finally {
      await page.close();
      await server.close();
    }
  }

  it("a Vite production build (no configuration), main thread and module worker", async () => {
    const { build } = await import("vite");
    const outDir = join(work, "vite-dist");
    await build({
      root: join(consumer, "browser-app"), configFile: false, logLevel: "warn",
      build: { outDir, emptyOutDir: true },
    });
    expect(readdirSync(join(outDir, "assets")).some((f) => /^worker.*\.js$/.test(f)), "Vite emitted the worker").toBe(true);
    await openAndCheck("Vite", outDir, true);
  }, 180_000);

  // webpack 5 turns `new Worker(new URL(...), { type: "module" })` into a classic worker
  // unless the app asks for ES module output; both must work, and the second must really
  // be a module worker.
  const webpackBuilds = [
    { name: "defaults (mode, entry, output only)", esm: false },
    { name: "ES module output (experiments.outputModule)", esm: true },
  ];
  it.each(webpackBuilds)("a webpack 5 production build, $name: main thread and worker", async ({ esm }) => {
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
    await openAndCheck(`webpack ${esm ? "ESM" : "default"}`, outDir, esm);
  }, 180_000);
});
