// Builds what the package ships, from src/ (after build-wasm.mjs has inlined the kernels):
//   dist/*.js        ES modules, the code and the inlined kernels (the "import" condition)
//   dist/index.d.ts  `export * from "./cjs/index.js"`: the ES entry's declarations
//   dist/cjs/        the declarations an entry reaches (.d.ts, CommonJS flavour) and index.js, a one-line
//                    CommonJS module that require()s the ES build; dist/cjs/package.json
//                    {"type":"commonjs"} marks them (the "require" condition, "main"/"types")
//
// Everything ships once, which keeps the tarball small (budget in test/package.test.ts): a
// second, CommonJS compilation carried a second copy of both wasm binaries and of every declaration.
// - require() of an ES module needs Node 20.19+ / 22.12+; the entry has no top-level await,
//   so it qualifies, and CommonJS callers share the ES build's default backend.
// - One set of declarations serves both: an ES declaration file may re-export a CommonJS
//   one (the reverse is an error under node16 resolution). tsc (node16 from CJS and ESM,
//   bundler; skipLibCheck off) and attw accept it; test/package.test.ts checks both.
// - The JavaScript is bundled per entry and compacted (whitespace and syntax, not
//   identifiers: names stay in stack traces); comments stay in the declarations, where
//   editors show them. Declarations of internals (marked @internal) are stripped.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { build, transformSync } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

if (!existsSync(join(root, "src", "wasm", "simd.ts"))) {
  throw new Error("build-dist: src/wasm/ is missing; run `npm run build:wasm` first (npm run build does both)");
}
// Start clean so files of removed sources never ship.
rmSync(dist, { recursive: true, force: true });
const run = (...args) => execFileSync(process.execPath, [tsc, ...args], { cwd: root, stdio: "inherit" });
run("-p", "tsconfig.build.json", "--declaration", "false");
run("-p", "tsconfig.cjs.json");

// Each entry: ".", the TF.js adapter's "./tfjs" and the ONNX nodes' "./onnx" (package.json exports).
const ENTRIES = ["index", "tfjs/index", "onnx/index"];
for (const entry of ENTRIES) {
  const up = "../".repeat(entry.split("/").length - 1);
  writeFileSync(
    join(dist, `${entry}.d.ts`),
    `// The declarations live in ./cjs/ (one set for both entries; see scripts/build-dist.mjs).\nexport * from "${up ? up : "./"}cjs/${entry}.js";\n`,
  );
  writeFileSync(
    join(dist, "cjs", `${entry}.js`),
    '"use strict";\n// The CommonJS entry is the ES build itself, through require(esm) (Node 20.19+ / 22.12+).\n' +
      `module.exports = require("../${up}${entry}.js");\n`,
  );
}
writeFileSync(join(dist, "cjs", "package.json"), JSON.stringify({ type: "commonjs" }, null, 2) + "\n");

// tsc writes a declaration for every source file; ship only those an entry's types reach.
const reachable = new Set();
const pending = ENTRIES.map((entry) => `${entry}.d.ts`);
while (pending.length > 0) {
  const file = pending.pop();
  if (reachable.has(file)) continue;
  reachable.add(file);
  const text = readFileSync(join(dist, "cjs", file), "utf8");
  for (const [, spec] of text.matchAll(/(?:from\s+|import\()\s*"(\.[^"]+)"/g)) {
    const target = posix.normalize(posix.join(posix.dirname(file), spec.replace(/\.js$/, ".d.ts")));
    if (existsSync(join(dist, "cjs", target))) pending.push(target);
  }
}
const declarations = (dir) => readdirSync(join(dist, "cjs", dir), { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? declarations(posix.join(dir, e.name)) : e.name.endsWith(".d.ts") ? [posix.join(dir, e.name)] : []);
for (const file of declarations(".")) if (!reachable.has(file)) rmSync(join(dist, "cjs", file));

// The JavaScript: each entry bundled (shared code in one chunk beside the entries) and
// compacted. One file per module cost about 100 bytes of tarball each in tar headers alone.
// The inlined kernels stay their own modules (dist/wasm/*.js), imported by the chunk.
const esModules = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? (e.name === "cjs" ? [] : esModules(join(dir, e.name))) : e.name.endsWith(".js") ? [join(dir, e.name)] : []);
const compiled = esModules(dist);
const before = compiled.reduce((n, f) => n + readFileSync(f).length, 0);
const staging = join(root, "build", "bundle");
rmSync(staging, { recursive: true, force: true });
const result = await build({
  entryPoints: ENTRIES.map((entry) => join(dist, `${entry}.js`)),
  absWorkingDir: root, outbase: dist, outdir: staging, bundle: true, splitting: true, format: "esm", target: "es2022", platform: "neutral",
  chunkNames: "chunk-[hash]", minifyWhitespace: true, minifySyntax: true, legalComments: "none", metafile: true,
  plugins: [{
    name: "kernels-stay-modules",
    setup(b) {
      // Only the shared chunk (at dist/'s top) imports the kernels, so the path is from there.
      b.onResolve({ filter: /\/wasm\/(simd|scalar)(-threads)?\.js$/ }, (args) => ({ path: `./wasm/${posix.basename(args.path)}`, external: true }));
    },
  }],
});
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  const wasmImports = output.imports.filter((i) => i.path.includes("/wasm/"));
  if (wasmImports.length > 0 && dirname(join(root, file)) !== staging) {
    throw new Error(`build-dist: ${file} imports the kernels but is not at the top of dist/, so ./wasm/ would not resolve`);
  }
}
for (const file of compiled) if (!file.startsWith(join(dist, "wasm"))) rmSync(file);
const kept = new Set(["cjs", "wasm", ...ENTRIES.map((entry) => entry.split("/")[0])]);
for (const dir of readdirSync(dist, { withFileTypes: true })) {
  if (dir.isDirectory() && !kept.has(dir.name)) rmSync(join(dist, dir.name), { recursive: true, force: true });
}
for (const file of Object.keys(result.metafile.outputs)) {
  const target = join(dist, posix.relative(posix.relative(root, staging), file));
  writeFileSync(target, readFileSync(join(root, file)));
}
for (const build of ["simd", "scalar", "simd-threads", "scalar-threads"]) {
  const file = join(dist, "wasm", `${build}.js`);
  writeFileSync(file, transformSync(readFileSync(file, "utf8"), { loader: "js", format: "esm", minifyWhitespace: true }).code);
}
const after = esModules(dist).reduce((n, f) => n + readFileSync(f).length, 0);
console.log(`dist: ES modules in dist/ (${compiled.length} files, ${before} bytes -> ${esModules(dist).length} files, ${after} bytes), declarations and the CommonJS entry in dist/cjs/`);
