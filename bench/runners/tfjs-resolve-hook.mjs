// A Node module-resolution hook for one file: @tensorflow/tfjs-core ships its gradient
// registrations (dist/register_all_gradients.js) only as ES modules with extensionless
// relative imports ("./gradients", which is also a folder), which Node's ESM loader refuses.
// Inside tfjs-core's dist folder, "./x" resolves to "./x.js" when that file exists.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (parent && parent.includes("/@tensorflow/tfjs-core/dist/") && specifier.startsWith(".") && !specifier.endsWith(".js")) {
    const url = new URL(`${specifier}.js`, parent);
    if (existsSync(fileURLToPath(url))) return next(url.href, context);
  }
  return next(specifier, context);
}
