// `npm run demo`: builds the demo page with Vite and serves the build on loopback
// (127.0.0.1), printing its address. The e2e test uses the same two functions.
import { build, preview } from "vite";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const configFile = join(dirname(fileURLToPath(import.meta.url)), "vite.config.ts");

/** Production build of the page into outDir (default examples/browser/dist). */
export async function buildDemo(outDir?: string): Promise<void> {
  await build({ configFile, ...(outDir ? { build: { outDir, emptyOutDir: true } } : {}) });
}

/** Serves a build on 127.0.0.1 (port 0: any free port). */
export async function serveDemo(options: { outDir?: string; port?: number } = {}) {
  const server = await preview({
    configFile,
    ...(options.outDir ? { build: { outDir: options.outDir } } : {}),
    preview: { host: "127.0.0.1", port: options.port ?? 4173, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error("demo: the preview server reported no local address");
  return { url, close: () => server.close() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildDemo();
  const { url } = await serveDemo();
  console.log(`\nbatchnorm-wasm demo: ${url}  (benchmark + training in the page; Ctrl-C stops the server)\n`);
}
