// Vite config of the demo page. It imports the package from the repository's src/ (the
// kernels inlined by `npm run build:wasm`), so the page always shows the current code.
import { defineConfig } from "vite";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: "./",
  logLevel: "warn",
  build: { outDir: join(here, "dist"), emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  server: { host: "127.0.0.1", fs: { allow: [join(here, "..", "..")] } },
  preview: { host: "127.0.0.1" },
});
