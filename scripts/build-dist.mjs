// Builds what the package ships, from src/ (after build-wasm.mjs has inlined the kernels):
//   dist/       ES modules + .d.ts            (the "import" condition)
//   dist/cjs/   CommonJS + .d.ts, marked by dist/cjs/package.json {"type":"commonjs"}
//               (the "require" condition, and "main"/"types" for older resolvers)
// A real CommonJS build rather than relying on require(esm): require(esm) only exists from
// Node 20.19 / 22.12, bundlers and TypeScript's node16 resolution treat a require of an ES
// module as an error, and attw flags it; two plain tsc outputs cost a few KB in the tarball.
import { execFileSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

if (!existsSync(join(root, "src", "wasm", "simd.ts"))) {
  throw new Error("build-dist: src/wasm/ is missing; run `npm run build:wasm` first (npm run build does both)");
}
// Start clean so files of removed sources never ship.
rmSync(join(root, "dist"), { recursive: true, force: true });
for (const project of ["tsconfig.build.json", "tsconfig.cjs.json"]) {
  execFileSync(process.execPath, [tsc, "-p", project], { cwd: root, stdio: "inherit" });
}
writeFileSync(join(root, "dist", "cjs", "package.json"), JSON.stringify({ type: "commonjs" }, null, 2) + "\n");
console.log("dist: ES modules in dist/, CommonJS in dist/cjs/");
