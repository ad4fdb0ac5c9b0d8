// Bundles pages that run the shared bodies (test/bodies/) outside vitest with esbuild, for
// the Firefox checks: "vitest" becomes test/firefox/vitest-shim.ts (expect only), and the
// fixtures' `?raw` imports (Vite's) become the file's text.
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Plugin } from "esbuild";

const rawImports: Plugin = {
  name: "raw-imports",
  setup(build) {
    build.onResolve({ filter: /\?raw$/ }, (args) => ({ path: resolve(args.resolveDir, args.path.slice(0, -"?raw".length)), namespace: "raw" }));
    build.onLoad({ filter: /.*/, namespace: "raw" }, async (args) => ({ contents: await readFile(args.path, "utf8"), loader: "text" }));
  },
};

/** Bundles each entry (path inside test/) to outDir/<name>.js as an ES module for browsers. */
export async function bundlePages(outDir: string, entries: Record<string, string>): Promise<void> {
  const { build } = await import("esbuild");
  const here = dirname(new URL(import.meta.url).pathname);
  await build({
    entryPoints: Object.entries(entries).map(([out, path]) => ({ out, in: join(here, "..", path) })),
    outdir: outDir, bundle: true, format: "esm", platform: "browser", target: "es2022", logLevel: "warning",
    alias: { vitest: join(here, "vitest-shim.ts") },
    plugins: [rawImports],
  });
}
