// Supply chain and what the package does at run time (SECURITY.md states it; this backs it):
// no runtime dependencies, no install scripts, and a runtime that imports only its own
// files, never evaluates code, never reaches the network or the file system, and runs wasm
// that imports nothing (so it can touch only its own linear memory).
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** Every TypeScript file of the runtime: src/, including the generated src/wasm/*.ts. */
function runtimeFiles(dir = join(root, "src")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? runtimeFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []);
}

/** Globals whose use would mean code evaluation, network, files, processes or threads. */
const FORBIDDEN_CALLS = new Set(["eval", "Function", "fetch", "require", "importScripts"]);
const FORBIDDEN_NAMES = new Set([
  "XMLHttpRequest", "WebSocket", "EventSource", "Worker", "SharedWorker", "process", "Deno", "Bun", "indexedDB", "localStorage",
]);
/** WebAssembly APIs that fetch (the package compiles its inlined bytes synchronously). */
const FORBIDDEN_MEMBERS = new Set(["instantiateStreaming", "compileStreaming"]);

/** An identifier that names a member (x.process, { process: 1 }, a method) rather than a global. */
function isMemberName(node: ts.Identifier): boolean {
  const p = node.parent;
  return (ts.isPropertyAccessExpression(p) && p.name === node) ||
    ((ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isPropertySignature(p)) && p.name === node);
}

/** What a source file does that the runtime must not: "line: description" for each finding. */
function findings(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const at = (node: ts.Node) => `${file.slice(root.length + 1)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const spec = node.moduleSpecifier.text;
      const inside = spec.startsWith(".") && resolve(dirname(file), spec).startsWith(join(root, "src") + sep);
      if (!inside) out.push(`${at(node)}: imports "${spec}"`);
    }
    if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) out.push(`${at(node)}: dynamic import()`);
      if (ts.isIdentifier(node.expression) && FORBIDDEN_CALLS.has(node.expression.text)) out.push(`${at(node)}: calls ${node.expression.text}()`);
    }
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && FORBIDDEN_CALLS.has(node.expression.text)) {
      out.push(`${at(node)}: new ${node.expression.text}`);
    }
    if (ts.isIdentifier(node) && FORBIDDEN_NAMES.has(node.text) && !isMemberName(node)) {
      out.push(`${at(node)}: uses ${node.text}`);
    }
    if (ts.isPropertyAccessExpression(node) && FORBIDDEN_MEMBERS.has(node.name.text)) out.push(`${at(node)}: uses ${node.name.text}`);
    if (ts.isIdentifier(node) && node.text === "import" && ts.isMetaProperty(node.parent)) out.push(`${at(node)}: import.meta`);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

describe("supply chain", () => {
  it("package.json: no runtime dependencies, no install-time scripts, no native build", () => {
    for (const field of ["dependencies", "optionalDependencies", "bundleDependencies", "bundledDependencies"]) {
      expect(Object.keys(pkg[field] ?? {}), field).toEqual([]);
    }
    // A peer dependency is only allowed as an optional one (npm installs required peers):
    // the TF.js adapter's @tensorflow/tfjs-core, which the caller passes in themselves.
    for (const name of Object.keys(pkg.peerDependencies ?? {})) {
      expect(pkg.peerDependenciesMeta?.[name]?.optional, `peer dependency ${name} must be optional`).toBe(true);
    }
    // The scripts npm runs when someone installs the package.
    for (const script of ["preinstall", "install", "postinstall"]) expect(pkg.scripts?.[script], script).toBeUndefined();
    // npm runs node-gyp for a binding.gyp even without an install script.
    expect(existsSync(join(root, "binding.gyp"))).toBe(false);
  });

  it("devDependencies are pinned to exact versions", () => {
    for (const [name, version] of Object.entries(pkg.devDependencies ?? {})) {
      expect(version, name).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

  it("the runtime (src/) imports only its own files (no package, not even an optional peer), evaluates no code, and reaches no network, file, process or thread API", () => {
    const files = runtimeFiles();
    expect(files.length).toBeGreaterThan(20);
    // The inlined wasm must be there (npm test builds it first), or the scan would miss it.
    expect(files.some((f) => f.endsWith(join("wasm", "simd.ts")))).toBe(true);
    // One exception, the threaded backend's worker pool (issue 14): it starts Workers, and
    // imports Node's built-ins (worker_threads, os) by a computed name. Nothing else may.
    const pool = join("src", "runtime", "threads", "pool.ts");
    const found = files.flatMap(findings);
    expect(found.filter((f) => !f.startsWith(`${pool}:`))).toEqual([]);
    expect(new Set(found.map((f) => f.replace(/^[^ ]+ /, "")))).toEqual(new Set(["dynamic import()", "uses Worker"]));
    const built = [...readFileSync(join(root, "src", "runtime", "threads", "pool.ts"), "utf8").matchAll(/import\(([^)]*)\)/g)].map((m) => m[1]);
    expect(built, "the pool's one dynamic import: a node: built-in").toEqual([expect.stringContaining('["node", name].join(":"')]);
  });

  it("the scanner sees what it looks for", () => {
    // A self-check on a file of forbidden things, so a scanner that finds nothing cannot pass silently.
    const probe = join(root, "test", "reliability", "supply-chain-probe.txt");
    expect(findings(probe).map((f) => f.replace(/^[^:]+:\d+: /, ""))).toEqual([
      'imports "node:fs"', "dynamic import()", "calls eval()", "new Function", "calls fetch()", "uses XMLHttpRequest",
      "uses instantiateStreaming", "uses process", "calls require()",
    ]);
  });

  it("the inlined wasm binaries import nothing (only their own memory, no host functions) and are what they claim", () => {
    for (const build of ["simd", "scalar"]) {
      const text = readFileSync(join(root, "src", "wasm", `${build}.ts`), "utf8");
      // The generated file is a comment and one base64 string (exported as is, or through a
      // const typed as string): nothing else runs.
      const match = text.match(
        /^\/\/ Generated by scripts\/build-wasm\.mjs[^\n]*\n(?:export default "([A-Za-z0-9+/=]+)";|const base64: string = "([A-Za-z0-9+/=]+)";\nexport default base64;)\n$/,
      );
      expect(match, `${build}.ts is not just the generated base64`).not.toBeNull();
      const module = new WebAssembly.Module(Buffer.from(match![1] ?? match![2], "base64"));
      expect(WebAssembly.Module.imports(module), build).toEqual([]);
      const exports = WebAssembly.Module.exports(module);
      expect(exports.filter((e) => e.kind === "memory").map((e) => e.name)).toEqual(["memory"]);
      expect(exports.filter((e) => e.kind !== "memory" && e.kind !== "function")).toEqual([]);
    }
  });
});
